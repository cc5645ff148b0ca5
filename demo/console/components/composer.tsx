import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../src/protocol.js';
import { createTypingSender } from '../typing.js';

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
  /** Stores the reply in the console's outbox (it is sent from there); refused only when it cannot be stored. */
  onSend(text: string): Promise<{ ok: true } | { ok: false; message: string }>;
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
  onSend: Props['onSend'];
  /** After a successful send: what is left in the box. */
  setDraft(text: string): void;
}

/** Hands the trimmed text to the outbox, one at a time; the outbox sends it now or after a reconnect. */
function useReplySending({ text, field, typing, onSend, setDraft }: Sending) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const send = async () => {
    const body = text.trim();
    if (!body || sending) return;
    if (body.length > LIMITS.messageLength) {
      setError(`message_too_long: at most ${LIMITS.messageLength} characters`);
      return;
    }
    typing.stop();
    setSending(true);
    setError(null);
    const result = await onSend(body);
    setSending(false);
    if (!result.ok) {
      setError(result.message);
      return;
    }
    // Only clear what was queued: the agent may have typed on while it was being stored.
    const current = field.current?.value ?? '';
    setDraft(current.trim() === body ? '' : current);
  };
  return { sending, error, send };
}

/** Under the box: the keyboard hint, the length counter near the limit, and Send. */
function ComposerBar({ conversationId, text, sending }: { conversationId: string; text: string; sending: boolean }) {
  const over = text.length > LIMITS.messageLength;
  const near = text.length > LIMITS.messageLength * 0.9;
  return (
    <div class="composer__bar">
      <span class="composer__hint muted" id={`reply-hint-${conversationId}`}>
        Enter to send, Shift+Enter for a new line
      </span>
      {near && (
        <span class={`composer__count${over ? ' composer__count--over' : ''}`}>
          {text.length} / {LIMITS.messageLength}
        </span>
      )}
      <button class="button button--primary" type="submit" disabled={sending || text.trim() === ''}>
        Send
      </button>
    </div>
  );
}

/**
 * The reply box. Enter sends, Shift+Enter adds a line. A reply goes to the console's durable outbox first (shown
 * queued in the log until the gateway acknowledges it), so it is never lost to a disconnection or a reload.
 */
export function Composer({
  conversationId,
  placeholder,
  initialDraft,
  draftsLoaded,
  focusToken,
  onDraft,
  onTyping,
  onSend,
  onEscape,
}: Props) {
  const [text, setText] = useState(initialDraft);
  const field = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSender(onTyping);
  const setDraft = (value: string) => {
    setText(value);
    onDraft(value);
  };
  const { sending, error, send } = useReplySending({ text, field, typing, onSend, setDraft });

  useEffect(() => {
    if (focusToken) field.current?.focus();
  }, [focusToken]);

  // The box opened before the drafts were read (a reload straight into a conversation): take the kept draft, once
  // they arrive, never on later edits.
  useEffect(() => {
    if (draftsLoaded && initialDraft && !field.current?.value) setText(initialDraft);
  }, [draftsLoaded]);

  const change = (value: string) => {
    setDraft(value);
    typing.input(value.trim().length > 0);
  };

  const over = text.length > LIMITS.messageLength;

  return (
    <form
      class="composer"
      aria-busy={sending}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label class="sr-only" for={`reply-${conversationId}`}>
        Reply
      </label>
      <textarea
        ref={field}
        id={`reply-${conversationId}`}
        class="composer__field"
        rows={3}
        placeholder={placeholder}
        value={text}
        aria-invalid={error || over ? true : undefined}
        aria-describedby={`reply-hint-${conversationId}${error ? ` reply-error-${conversationId}` : ''}`}
        onInput={(e) => change(e.currentTarget.value)}
        onBlur={() => typing.stop()}
        onKeyDown={(e) => {
          // isComposing: Enter also confirms an IME candidate (Japanese, Chinese…); that Enter must not send.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onEscape();
          }
        }}
      />
      <ComposerBar conversationId={conversationId} text={text} sending={sending} />
      {error && (
        <p class="alert composer__error" role="alert" id={`reply-error-${conversationId}`}>
          Not sent ({error}). Your reply is kept in the box.
        </p>
      )}
    </form>
  );
}
