import { useLayoutEffect, useRef } from 'preact/hooks';
import { Text } from '../../../src/app/ui/text.js';
import type { Message } from '../../../src/protocol.js';
import { fullTime, messageTime } from '../format.js';
import type { QueuedReply } from '../reply-store.js';
import type { Thread } from '../state.js';
import { interleave } from '../timeline.js';
import { AttachmentList } from './attachments.js';
import { NoteItem } from './note-item.js';

interface Props {
  thread: Thread;
  /** Replies in the outbox, shown after the thread until the gateway has them. */
  queued: QueuedReply[];
  /** Agent messages up to this seq were read by the visitor. */
  visitorReadSeq: number;
  visitorName: string;
  me: string | null;
  now: number;
  onRetry(): void;
  onDiscard(clientId: string): void;
}

/** Pixels from the bottom within which the log keeps following new messages. */
const STICK_PX = 64;

/** The conversation's messages, oldest first; follows new ones unless the agent scrolled up to read. */
export function MessageLog(p: Props) {
  const { thread, visitorName, me, now, onRetry } = p;
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const last = thread.messages.at(-1);
  const lastNote = thread.notes.at(-1);
  const lastQueued = p.queued.at(-1);
  // Only the replies the gateway does not have yet: an acked one can be in the thread a moment before it leaves the outbox.
  const held = new Set(thread.messages.map((m) => m.clientId));
  const queued = p.queued.filter((r) => !held.has(r.clientId));
  const seenSeq = lastSeenAgentSeq(thread, p.visitorReadSeq);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const mine = (last?.author === 'agent' && last.agentName === me) || lastNote?.agentName === me || lastQueued;
    if (stick.current || mine) el.scrollTop = el.scrollHeight;
  }, [last, lastNote, lastQueued, me]);

  return (
    <div
      ref={box}
      class="log"
      role="log"
      aria-label="Messages"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll it by keyboard (axe scrollable-region-focusable)
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
      }}
    >
      {thread.error && (
        <div class="alert" role="alert">
          Could not load the history ({thread.error}).{' '}
          <button type="button" class="button button--small" onClick={onRetry}>
            Try again
          </button>
        </div>
      )}
      {thread.messages.length === 0 && !thread.error && (
        <p class="empty">{thread.loading ? 'Loading messages…' : 'No messages yet.'}</p>
      )}
      <ol class="messages">
        {interleave(thread.messages, thread.notes).map((entry) =>
          entry.kind === 'message' ? (
            <MessageItem
              key={entry.message.id}
              m={entry.message}
              visitorName={visitorName}
              me={me}
              now={now}
              seen={entry.message.seq === seenSeq}
            />
          ) : (
            <NoteItem key={entry.note.id} note={entry.note} me={me} now={now} />
          ),
        )}
        {queued.map((r) => (
          <QueuedItem key={r.clientId} r={r} onDiscard={p.onDiscard} />
        ))}
      </ol>
    </div>
  );
}

function authorName(m: Message, visitorName: string, me: string | null): string {
  if (m.author === 'visitor') return visitorName;
  if (m.author === 'system') return 'Parley';
  const name = m.agentName ?? 'Agent';
  return name === me ? `${name} (you)` : name;
}

/** The last agent message the visitor has read: "Seen" goes under it. */
function lastSeenAgentSeq(thread: Thread, visitorReadSeq: number): number {
  for (let i = thread.messages.length - 1; i >= 0; i--) {
    const m = thread.messages[i]!;
    if (m.author === 'agent' && m.seq <= visitorReadSeq) return m.seq;
  }
  return 0;
}

interface ItemProps {
  m: Message;
  visitorName: string;
  me: string | null;
  now: number;
  seen: boolean;
}

function MessageItem({ m, visitorName, me, now, seen }: ItemProps) {
  return (
    <li class={`msg msg--${m.author}`} data-seq={m.seq}>
      <div class="msg__bubble">
        <p class="msg__meta">
          <span class="msg__author">{authorName(m, visitorName, me)}</span>
          <span class="sr-only">, </span>
          <time class="msg__time" dateTime={new Date(m.createdAt).toISOString()} title={fullTime(m.createdAt)}>
            {messageTime(m.createdAt, now)}
          </time>
        </p>
        {m.text && (
          <p class="msg__text">
            <Text text={m.text} />
          </p>
        )}
        {m.attachments && <AttachmentList files={m.attachments} conversationId={m.conversationId} />}
      </div>
      {seen && <p class="msg__receipt">Seen by the visitor</p>}
    </li>
  );
}

/** A reply in the outbox: queued until the gateway has it, or refused for good (then it can be discarded). */
function QueuedItem({ r, onDiscard }: { r: QueuedReply; onDiscard(clientId: string): void }) {
  return (
    <li class={`msg msg--agent msg--queued${r.error ? ' msg--failed' : ''}`} data-client-id={r.clientId}>
      <div class="msg__bubble">
        <p class="msg__meta">
          <span class="msg__state">
            {r.error ? `Not sent (${r.error})` : 'Queued: sent when the gateway is reachable'}
          </span>
        </p>
        <p class="msg__text">
          <Text text={r.text} />
        </p>
        {r.error && (
          <button type="button" class="button button--small" onClick={() => onDiscard(r.clientId)}>
            Discard
          </button>
        )}
      </div>
    </li>
  );
}
