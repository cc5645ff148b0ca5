import { type AgentClientEvents, type CannedReply, SEARCH } from '../../../src/protocol';
import { summarize } from '../broadcasts';
import type { AgentSocket, GatewayContext } from '../handler-context';
import { AGENTS_ROOM } from '../rooms';
import { HandlerError, type Handlers } from '../router';
import { searchTerms } from '../store/search';
import type { consoleToolEvents } from './schemas';

/** Earlier conversations the details pane shows at most. */
export const EARLIER_LIMIT = 10;

type ToolEvents = Pick<AgentClientEvents, keyof typeof consoleToolEvents>;

/**
 * The agent console's tools (see `AgentClientEvents`): search, canned replies (the file's, read-only, then the
 * database's), visitor context. `fileReplies` come from `PARLEY_CANNED_REPLIES` (see canned-file.ts).
 */
export function consoleToolHandlers(
  ctx: GatewayContext,
  socket: AgentSocket,
  fileReplies: readonly CannedReply[],
  now: () => number = Date.now,
): Handlers<ToolEvents, typeof consoleToolEvents> {
  const allReplies = async () => [...fileReplies, ...(await ctx.store.cannedReplies())];
  const announce = async () => {
    ctx.agents.to(AGENTS_ROOM).emit('canned', { replies: await allReplies() });
  };
  return {
    search: async ({ query, limit }) => {
      const terms = searchTerms(query);
      if (!terms) throw new HandlerError('invalid_payload', 'query: must contain a letter or digit');
      const hits = await ctx.store.search(terms, limit ?? SEARCH.defaultLimit);
      return { results: hits.map((hit) => ({ ...hit, conversation: summarize(ctx, hit.conversation) })) };
    },
    cannedList: async () => ({ replies: await allReplies() }),
    cannedSave: async ({ id, shortcut, text }, after) => {
      if (id?.startsWith(FILE_ID_PREFIX)) throw readOnly();
      if (fileReplies.some((reply) => reply.shortcut === shortcut)) {
        throw new HandlerError('invalid_payload', `the shortcut /${shortcut} is already used`);
      }
      const reply = await ctx.store.saveCannedReply({ id, shortcut, text, agentName: socket.data.name, now: now() });
      after(() => ctx.track(announce()));
      return { reply };
    },
    cannedDelete: async ({ id }, after) => {
      if (id.startsWith(FILE_ID_PREFIX)) throw readOnly();
      if (!(await ctx.store.deleteCannedReply(id))) throw new HandlerError('not_found', 'no such canned reply');
      after(() => ctx.track(announce()));
      return {};
    },
    context: async ({ conversationId }) => {
      if (!(await ctx.store.hasConversation(conversationId))) {
        throw new HandlerError('not_found', 'no such conversation');
      }
      const [earlier, pages] = await Promise.all([
        ctx.store.earlierConversations(conversationId, EARLIER_LIMIT),
        ctx.store.pageViews(conversationId),
      ]);
      return { earlier: earlier.map((stored) => summarize(ctx, stored)), pages };
    },
  };
}

/** Ids of the file's replies: never stored, so never editable. */
export const FILE_ID_PREFIX = 'file-';

function readOnly(): HandlerError {
  return new HandlerError('invalid_payload', 'replies from PARLEY_CANNED_REPLIES are read-only; edit the file');
}
