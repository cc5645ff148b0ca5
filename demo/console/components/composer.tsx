import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../src/protocol.js';
import { newClientId } from '../client-id.js';
import type { ActionResult } from '../controller.js';
import { createTypingSender } from '../typing.js';
import { useCannedPicker } from './canned-picker.js';

interface Props {
  conversationId: string;
  placeholder: string;
  initialDraft: string;
  /** Changes each time the agent picks a conversation: the reply box takes focus then (0: never). */
  focusToken: number;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  onSend(text: string, clientId: string): Promise<ActionResult>;
  /** Adds the text as an internal note instead (note mode): agents only, never sent to the visitor. */
  onNote(text: string, clientId: string): Promise<ActionResult>;
  /** Escape: leave the reply box (back to the conversation's row in the list). */
  onEscape(): void;
}

type TypingSender = ReturnType<typeof createTypingSender>;

/** A typing sender that always signals through the latest `onTyping`, and stops when the composer goes away. */
function useTypingSender(onTyping: (typing: boolean) => void): TypingSender {
  const typingTo = useRef(onTyping);
  typingTo.current = onTyping;
  const typing = useMemo(() => createTypingSender((t) => typingTo.current(t)), []);
  // Leaving the conversation (or the console) while typing: the visitor should not see "typing…" for 3 more seconds.
  useEffect(() => () => typing.stop(), [typing]);
  return typing;
}

interface Sending {
  text: string;
  field: RefObject<HTMLTextAreaElement>;
  typing: TypingSender;
  /** Reply or note: a retry reuses the clientId only for the same text in the same mode. */
  mode: 'reply' | 'note';
  onSend: Props['onSend'];
  /** After a successful send: what is left in the box. */
  setDraft(text: string): void;
}

/** Sends the trimmed text once at a time; a retry of the same text reuses its clientId. */
function useReplySending({ text, field, typing, mode, onSend, setDraft }: Sending) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const attempt = useRef<{ text: string; mode: Sending['mode']; clientId: string } | null>(null);

  const send = async () => {
    const body = text.trim();
    if (!body || sending) return;
    typing.stop();
    if (attempt.current?.text !== body || attempt.current.mode !== mode) {
      attempt.current = { text: body, mode, clientId: newClientId() };
    }
    const { clientId } = attempt.current;
    setSending(true);
    setError(null);
    const result = await onSend(body, clientId);
    setSending(false);
    if (!result.ok) {
      setError(`${result.code}: ${result.message}`);
      return;
    }
    attempt.current = null;
    // Only clear what was sent: the agent may have typed on while the ack was on its way.
    const current = field.current?.value ?? '';
    setDraft(current.trim() === body ? '' : current);
  };
  return { sending, error, send };
}

interface BarProps {
  conversationId: string;
  text: string;
  sending: boolean;
  note: boolean;
  onToggleNote(): void;
}

/** Under the box: the note toggle, the keyboard hint, the length counter near the limit, and Send. */
function ComposerBar({ conversationId, text, sending, note, onToggleNote }: BarProps) {
  const over = text.length > LIMITS.messageLength;
  const near = text.length > LIMITS.messageLength * 0.9;
  return (
    <div class="composer__bar">
      <button
        type="button"
        class="button button--small note-toggle"
        aria-pressed={note}
        title="Write an internal note that only agents see"
        onClick={onToggleNote}
      >
        Note
      </button>
      <span class="composer__hint muted" id={`reply-hint-${conversationId}`}>
        {note ? 'Internal note: only agents see it. Enter to save it.' : 'Enter to send, Shift+Enter for a new line'}
      </span>
      {near && (
        <span class={`composer__count${over ? ' composer__count--over' : ''}`}>
          {text.length} / {LIMITS.messageLength}
        </span>
      )}
      <button class="button button--primary" type="submit" disabled={sending || text.trim() === ''}>
        {note ? 'Save' : 'Send'}
      </button>
    </div>
  );
}

/** Enter sends, Shift+Enter adds a line, Escape leaves the box. */
function onComposerKey(e: KeyboardEvent, send: () => Promise<void>, onEscape: () => void): void {
  // isComposing: Enter also confirms an IME candidate (Japanese, Chinese…); that Enter must not send.
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void send();
  } else if (e.key === 'Escape') {
    e.preventDefault();
    onEscape();
  }
}

/** Note mode: the box writes internal notes. Switching to it stops the typing signal: a note never shows "typing…". */
function useNoteMode(typing: TypingSender, field: RefObject<HTMLTextAreaElement>): [boolean, () => void] {
  const [note, setNote] = useState(false);
  const toggle = () => {
    if (!note) typing.stop();
    setNote(!note);
    field.current?.focus();
  };
  return [note, toggle];
}

function SendError({ id, error, note }: { id: string; error: string; note: boolean }) {
  return (
    <p class="alert composer__error" role="alert" id={id}>
      {note
        ? `Note not saved (${error}). It is kept; press Save to try again.`
        : `Not sent (${error}). Your reply is kept; press Send to try again.`}
    </p>
  );
}

/**
 * The reply box. Enter sends, Shift+Enter adds a line. A failed send keeps the text, and sending the same text
 * again reuses its clientId, so a reply whose ack was lost (timeout) is stored once, not twice.
 */
export function Composer({
  conversationId,
  placeholder,
  initialDraft,
  focusToken,
  onDraft,
  onTyping,
  onSend,
  onNote,
  onEscape,
}: Props) {
  const [text, setText] = useState(initialDraft);
  const field = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSender(onTyping);
  const [note, toggleNote] = useNoteMode(typing, field);
  const setDraft = (value: string) => {
    setText(value);
    onDraft(value);
  };
  const onSubmitText = note ? onNote : onSend;
  const sending = useReplySending({
    text,
    field,
    typing,
    mode: note ? 'note' : 'reply',
    onSend: onSubmitText,
    setDraft,
  });
  const { error, send } = sending;
  const picker = useCannedPicker(conversationId, text, (filled) => {
    setDraft(filled);
    if (!note) typing.input(true);
  });

  useEffect(() => {
    if (focusToken) field.current?.focus();
  }, [focusToken]);

  const change = (value: string) => {
    setDraft(value);
    if (!note) typing.input(value.trim().length > 0);
  };

  const over = text.length > LIMITS.messageLength;

  return (
    <form
      class={note ? 'composer composer--note' : 'composer'}
      aria-busy={sending.sending}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label class="sr-only" for={`reply-${conversationId}`}>
        {note ? 'Internal note' : 'Reply'}
      </label>
      {picker.list}
      <textarea
        ref={field}
        {...picker.fieldProps}
        id={`reply-${conversationId}`}
        class="composer__field"
        rows={3}
        placeholder={note ? 'Internal note, only agents see it…' : placeholder}
        value={text}
        aria-invalid={error || over ? true : undefined}
        aria-describedby={`reply-hint-${conversationId}${error ? ` reply-error-${conversationId}` : ''}`}
        onInput={(e) => change(e.currentTarget.value)}
        onBlur={() => typing.stop()}
        onKeyDown={(e) => picker.onKeyDown(e) || onComposerKey(e, send, onEscape)}
      />
      <ComposerBar
        conversationId={conversationId}
        text={text}
        sending={sending.sending}
        note={note}
        onToggleNote={toggleNote}
      />
      {error && <SendError id={`reply-error-${conversationId}`} error={error} note={note} />}
    </form>
  );
}
