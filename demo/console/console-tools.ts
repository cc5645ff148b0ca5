import type { CannedReply, SearchHit, VisitorContext } from '../../src/protocol.js';
import type { AgentLink } from './agent-link.js';
import { type RequestError, request } from './connection.js';
import { createStateHolder, type StateHolder } from './state.js';

/** The console's tools over the agent socket: search, shared canned replies (kept live), visitor context. */
export interface ConsoleTools {
  search(query: string): Promise<{ ok: true; results: SearchHit[] } | RequestError>;
  context(conversationId: string): Promise<({ ok: true } & VisitorContext) | RequestError>;
  /** The shared canned replies, refreshed on connect and on every `canned` event. */
  readonly canned: StateHolder<CannedReply[]>;
  saveCanned(reply: { id?: string; shortcut: string; text: string }): Promise<{ ok: true } | RequestError>;
  deleteCanned(id: string): Promise<{ ok: true } | RequestError>;
}

export function createConsoleTools(link: AgentLink): ConsoleTools {
  const canned = createStateHolder<CannedReply[]>([]);
  const set = (replies: CannedReply[]) => {
    if (!link.isTornDown()) canned.update(() => replies);
  };
  link.listen('connect', () => {
    void request(link.socket, 'cannedList', {}).then((ack) => {
      if (ack.ok) set(ack.replies);
    });
  });
  link.listen('canned', ({ replies }) => set(replies));
  return {
    search: (query) => request(link.socket, 'search', { query }),
    context: (conversationId) => request(link.socket, 'context', { conversationId }),
    canned,
    saveCanned: (reply) => request(link.socket, 'cannedSave', reply),
    deleteCanned: (id) => request(link.socket, 'cannedDelete', { id }),
  };
}
