import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../src/protocol.js';
import { newClientId } from '../client-id.js';
import type { ActionResult } from '../controller.js';
import { createTypingSender } from '../typing.js';

interface Props {
  conversationId: string;
  placeholder: string;
  initialDraft: string;
  /** Changes each time the agent picks a conversation: the reply box takes focus then (0: never). */
  focusToken: number;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  onSend(text: string, clientId: string): Promise<ActionResult>;
  /** Escape: leave the reply box (back to the conversation's row in the list). */
  onEscape(): void;
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
  onEscape,
}: Props) {
  const [text, setText] = useState(initialDraft);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const attempt = useRef<{ text: string; clientId: string } | null>(null);
  const typingTo = useRef(onTyping);
  typingTo.current = onTyping;
  const typing = useMemo(() => createTypingSender((t) => typingTo.current(t)), []);

  useEffect(() => {
    if (focusToken) field.current?.focus();
  }, [focusToken]);
  // Leaving the conversation (or the console) while typing: the visitor should not see "typing…" for 3 more seconds.
  useEffect(() => () => typing.stop(), [typing]);

  const change = (value: string) => {
    setText(value);
    onDraft(value);
    typing.input(value.trim().length > 0);
  };

  const send = async () => {
    const body = text.trim();
    if (!body || sending) return;
    typing.stop();
    if (attempt.current?.text !== body) attempt.current = { text: body, clientId: newClientId() };
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
    const rest = current.trim() === body ? '' : current;
    setText(rest);
    onDraft(rest);
  };

  const over = text.length > LIMITS.messageLength;
  const near = text.length > LIMITS.messageLength * 0.9;

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
      {error && (
        <p class="alert composer__error" role="alert" id={`reply-error-${conversationId}`}>
          Not sent ({error}). Your reply is kept; press Send to try again.
        </p>
      )}
    </form>
  );
}
