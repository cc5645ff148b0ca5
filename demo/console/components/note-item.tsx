import { Text } from '../../../src/app/ui/text.js';
import type { Note } from '../../../src/protocol.js';
import { fullTime, messageTime } from '../format.js';

/**
 * An entry of the agent-only timeline in the thread: an internal note (yellow, labelled as such, so it is never
 * mistaken for a reply the visitor saw) or a system line such as an assignment change.
 */
export function NoteItem({ note, me, now }: { note: Note; me: string | null; now: number }) {
  const time = (
    <time class="msg__time" dateTime={new Date(note.createdAt).toISOString()} title={fullTime(note.createdAt)}>
      {messageTime(note.createdAt, now)}
    </time>
  );
  if (note.kind === 'event') {
    return (
      <li class="msg msg--system" data-note-id={note.id}>
        <p class="msg__bubble">
          <Text text={note.text} /> · {time}
        </p>
      </li>
    );
  }
  const author = note.agentName === me ? `${note.agentName} (you)` : (note.agentName ?? 'Agent');
  return (
    <li class="msg note" data-note-id={note.id}>
      <div class="msg__bubble">
        <p class="msg__meta">
          <span class="msg__author">{author}</span>
          <span>· Internal note, agents only</span>
          <span class="sr-only">, </span>
          {time}
        </p>
        <p class="msg__text">
          <Text text={note.text} />
        </p>
      </div>
    </li>
  );
}
