import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LIMITS } from '../../../src/protocol.js';
import { newClientId } from '../client-id.js';
import type { ActionResult } from '../controller.js';
import { createTypingSender } from '../typing.js';
import { AttachmentPicker, usePendingFiles } from './attachments.js';

interface Props {
  conversationId: string;
  placeholder: string;
  initialDraft: string;
  /** Changes each time the agent picks a conversation: the reply box takes focus then (0: never). */
  focusToken: number;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  onSend(text: string, clientId: string, attachments?: string[]): Promise<ActionResult>;
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
  files: ReturnType<typeof usePendingFiles>;
}

/** Sends the trimmed text once at a time; a retry of the same text reuses its clientId. */
function useReplySending({ text, field, typing, onSend, setDraft, files }: Sending) {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const attempt = useRef<{ text: string; clientId: string } | null>(null);

  const send = async () => {
    const body = text.trim();
    if ((!body && files.ids.length === 0) || sending || files.busy) return;
    typing.stop();
    // A retry is the same text with the same files: the same clientId.
    const key = `${body}\n${files.ids.join()}`;
    if (attempt.current?.text !== key) attempt.current = { text: key, clientId: newClientId() };
    const { clientId } = attempt.current;
    setSending(true);
    setError(null);
    const result = await onSend(body, clientId, files.ids.length > 0 ? files.ids : undefined);
    setSending(false);
    if (!result.ok) {
      setError(`${result.code}: ${result.message}`);
      return;
    }
    attempt.current = null;
    files.clear();
    // Only clear what was sent: the agent may have typed on while the ack was on its way.
    const current = field.current?.value ?? '';
    setDraft(current.trim() === body ? '' : current);
  };
  return { sending, error, send };
}

/** Under the box: the keyboard hint, the length counter near the limit, and Send. */
function ComposerBar({
  conversationId,
  text,
  sending,
  canSend,
}: {
  conversationId: string;
  text: string;
  sending: boolean;
  canSend: boolean;
}) {
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
      <button class="button button--primary" type="submit" disabled={sending || !canSend}>
        Send
      </button>
    </div>
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
  onEscape,
}: Props) {
  const [text, setText] = useState(initialDraft);
  const field = useRef<HTMLTextAreaElement>(null);
  const typing = useTypingSender(onTyping);
  const setDraft = (value: string) => {
    setText(value);
    onDraft(value);
  };
  const files = usePendingFiles(conversationId);
  const { sending, error, send } = useReplySending({ text, field, typing, onSend, setDraft, files });

  useEffect(() => {
    if (focusToken) field.current?.focus();
  }, [focusToken]);

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
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        files.add(Array.from(e.dataTransfer?.files ?? []));
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
        onPaste={(e) => {
          const pasted = Array.from(e.clipboardData?.files ?? []);
          if (pasted.length === 0) return;
          e.preventDefault();
          files.add(pasted);
        }}
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
      <AttachmentPicker pending={files} />
      <ComposerBar
        conversationId={conversationId}
        text={text}
        sending={sending}
        canSend={!files.busy && (text.trim() !== '' || files.ids.length > 0)}
      />
      {error && (
        <p class="alert composer__error" role="alert" id={`reply-error-${conversationId}`}>
          Not sent ({error}). Your reply is kept; press Send to try again.
        </p>
      )}
    </form>
  );
}
