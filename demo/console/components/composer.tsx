import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../src/protocol.js';
import { newClientId } from '../client-id.js';
import type { ActionResult } from '../controller.js';
import { createTypingSender } from '../typing.js';
import { AttachmentPicker, usePendingFiles } from './attachments.js';
import { useCannedPicker } from './canned-picker.js';

interface Props {
  conversationId: string;
  placeholder: string;
  initialDraft: string;
  /** Drafts were read from storage: an empty box takes `initialDraft` then. */
  draftsLoaded: boolean;
  /** Changes each time the agent picks a conversation: the reply box takes focus then (0: never). */
  focusToken: number;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  /** Stores the reply in the console's durable outbox (it is sent from there); refused only when it cannot be stored. */
  onSend(text: string, attachments?: string[]): Promise<{ ok: true } | { ok: false; message: string }>;
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
  onSend(
    text: string,
    clientId: string,
    attachments?: string[],
  ): Promise<{ ok: true } | { ok: false; code?: string; message: string }>;
  /** After a successful send: what is left in the box. */
  setDraft(text: string): void;
  /** Files uploaded for this reply (replies only: a note carries none). */
  files: ReturnType<typeof usePendingFiles>;
}

/** Sends the trimmed text once at a time; a retry of the same text reuses its clientId. */
function useReplySending({ text, field, typing, mode, onSend, setDraft, files }: Sending) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const attempt = useRef<{ text: string; mode: Sending['mode']; clientId: string } | null>(null);

  const send = async () => {
    const body = text.trim();
    const ids = mode === 'reply' ? files.ids : [];
    if ((!body && ids.length === 0) || sending || files.busy) return;
    if (body.length > LIMITS.messageLength) {
      setError(`message_too_long: at most ${LIMITS.messageLength} characters`);
      return;
    }
    typing.stop();
    // A retry is the same text with the same files in the same mode: the same clientId.
    const key = `${body}\n${ids.join()}`;
    if (attempt.current?.text !== key || attempt.current.mode !== mode) {
      attempt.current = { text: key, mode, clientId: newClientId() };
    }
    const { clientId } = attempt.current;
    setSending(true);
    setError(null);
    const result = await onSend(body, clientId, ids.length > 0 ? ids : undefined);
    setSending(false);
    if (!result.ok) {
      setError(result.code ? `${result.code}: ${result.message}` : result.message);
      return;
    }
    attempt.current = null;
    if (ids.length > 0) files.clear();
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
  canSend: boolean;
  note: boolean;
  onToggleNote(): void;
}

/** Under the box: the note toggle, the keyboard hint, the length counter near the limit, and Send. */
function ComposerBar({ conversationId, text, sending, canSend, note, onToggleNote }: BarProps) {
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
      <button class="button button--primary" type="submit" disabled={sending || !canSend}>
        {note ? 'Save' : 'Send'}
      </button>
    </div>
  );
}

/**
 * The box opened before the drafts were read (a reload straight into a conversation): it takes the kept draft once
 * they arrive, if the agent has not typed meanwhile, and never on later edits.
 */
function useLateDraft(
  loaded: boolean,
  draft: string,
  field: RefObject<HTMLTextAreaElement>,
  setText: (text: string) => void,
): void {
  useEffect(() => {
    if (loaded && draft && !field.current?.value) setText(draft);
  }, [loaded]);
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
 * The composer's state and actions: the text (kept as the conversation's draft), note mode, the files for the reply,
 * sending, the canned-reply picker, and focus when the agent picks the conversation.
 */
function useComposer({
  conversationId,
  initialDraft,
  draftsLoaded,
  focusToken,
  onDraft,
  onTyping,
  onSend,
  onNote,
}: Props) {
  const [text, setText] = useState(initialDraft);
  const field = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSender(onTyping);
  const [note, toggleNote] = useNoteMode(typing, field);
  const setDraft = (value: string) => {
    setText(value);
    onDraft(value);
  };
  const onSubmitText: Sending['onSend'] = note ? onNote : (body, _clientId, ids) => onSend(body, ids);
  const files = usePendingFiles(conversationId);
  const sending = useReplySending({
    text,
    field,
    typing,
    mode: note ? 'note' : 'reply',
    onSend: onSubmitText,
    setDraft,
    files,
  });
  const picker = useCannedPicker(conversationId, text, (filled) => {
    setDraft(filled);
    if (!note) typing.input(true);
  });

  useEffect(() => {
    if (focusToken) field.current?.focus();
  }, [focusToken]);
  useLateDraft(draftsLoaded, initialDraft, field, setText);

  const change = (value: string) => {
    setDraft(value);
    if (!note) typing.input(value.trim().length > 0);
  };
  return { text, field, typing, note, toggleNote, files, sending, picker, change };
}

/**
 * The reply box. Enter sends, Shift+Enter adds a line. A reply goes to the console's durable outbox first (shown
 * queued in the log until the gateway acknowledges it), so it is never lost to a disconnection or a reload. A note
 * is saved directly; a failed one keeps its text, and saving the same text again reuses its clientId.
 */
export function Composer(props: Props) {
  const { conversationId, placeholder, onEscape } = props;
  const { text, field, typing, note, toggleNote, files, sending, picker, change } = useComposer(props);
  const { error, send } = sending;
  const over = text.length > LIMITS.messageLength;

  return (
    <form
      class={note ? 'composer composer--note' : 'composer'}
      aria-busy={sending.sending}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        files.add(Array.from(e.dataTransfer?.files ?? []));
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
        onPaste={(e) => {
          const pasted = Array.from(e.clipboardData?.files ?? []);
          if (pasted.length === 0) return;
          e.preventDefault();
          files.add(pasted);
        }}
        onKeyDown={(e) => picker.onKeyDown(e) || onComposerKey(e, send, onEscape)}
      />
      {!note && <AttachmentPicker pending={files} />}
      <ComposerBar
        conversationId={conversationId}
        text={text}
        sending={sending.sending}
        canSend={!files.busy && (text.trim() !== '' || (!note && files.ids.length > 0))}
        note={note}
        onToggleNote={toggleNote}
      />
      {error && <SendError id={`reply-error-${conversationId}`} error={error} note={note} />}
    </form>
  );
}
