import { useLayoutEffect, useRef } from 'preact/hooks';
import { Text } from '../../../src/app/ui/text.js';
import type { Message } from '../../../src/protocol.js';
import { fullTime, messageTime } from '../format.js';
import type { Thread } from '../state.js';
import { interleave } from '../timeline.js';
import { NoteItem } from './note-item.js';

interface Props {
  thread: Thread;
  visitorName: string;
  me: string | null;
  now: number;
  onRetry(): void;
}

/** Pixels from the bottom within which the log keeps following new messages. */
const STICK_PX = 64;

/** The conversation's messages, oldest first; follows new ones unless the agent scrolled up to read. */
export function MessageLog({ thread, visitorName, me, now, onRetry }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const last = thread.messages.at(-1);
  const lastNote = thread.notes.at(-1);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const mine = (last?.author === 'agent' && last.agentName === me) || lastNote?.agentName === me;
    if (stick.current || mine) el.scrollTop = el.scrollHeight;
  }, [last, lastNote, me]);

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
            <MessageItem key={entry.message.id} m={entry.message} visitorName={visitorName} me={me} now={now} />
          ) : (
            <NoteItem key={entry.note.id} note={entry.note} me={me} now={now} />
          ),
        )}
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

function MessageItem({ m, visitorName, me, now }: { m: Message; visitorName: string; me: string | null; now: number }) {
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
        <p class="msg__text">
          <Text text={m.text} />
        </p>
      </div>
    </li>
  );
}
