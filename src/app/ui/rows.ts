import type { OutboxFile } from '../../attachments/deliver';
import type { Strings } from '../../locales/types';
import type { Attachment, Author, ErrorCode } from '../../protocol';
import type { ChatState } from '../chat';
import { groupEdges } from './group';
import type { Delivery } from './message-item';

interface Row {
  key: string;
  author: Author;
  name: string;
  avatar?: string | undefined;
  text: string;
  createdAt: number;
  delivery?: Delivery | undefined;
  onRetry?: (() => void) | undefined;
  files?: Attachment[] | undefined;
  queuedFiles?: OutboxFile[] | undefined;
  refusal?: ErrorCode | undefined;
}

/**
 * What the log shows, in order: the greeting (signed by the site, as the header names it), the stored messages, then
 * the visitor's messages still in the outbox, each with its place in its group.
 */
export function messageRows(
  state: ChatState,
  s: Strings,
  title: string,
  greeting: string,
  retry: (id: string) => void,
) {
  // "Seen" goes under the visitor's last message an agent has read.
  let seen: unknown;
  for (const m of state.messages) if (m.author === 'visitor' && m.seq <= state.agentReadSeq) seen = m;
  const rows: Row[] = [
    { key: '', author: 'system' as const, name: title, text: greeting, createdAt: 0 },
    ...state.messages.map((m) => ({
      key: m.id,
      author: m.author,
      name: m.author === 'visitor' ? s.you : (m.agentName ?? s.team),
      avatar: state.avatars?.[m.agentName!],
      text: m.text,
      createdAt: m.createdAt,
      delivery: m.author === 'visitor' ? ('sent' as Delivery) : undefined,
      seen: m === seen,
      files: m.attachments,
    })),
    ...state.pending.map((p) => ({
      key: p.clientId,
      author: 'visitor' as const,
      name: s.you,
      text: p.text,
      createdAt: p.createdAt,
      delivery: (p.failed || state.refused ? 'failed' : state.status === 'online' ? 'sending' : 'queued') as Delivery,
      // Nothing can be sent from a page the gateway refuses: no retry to offer.
      onRetry: state.refused ? undefined : () => retry(p.clientId),
      queuedFiles: p.files,
      refusal: p.failed,
    })),
  ];
  return groupEdges(rows);
}
