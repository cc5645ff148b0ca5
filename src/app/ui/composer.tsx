import type { Ref } from 'preact';
import { SEND_ICON } from '../../icons';
import type { Strings } from '../../locales/types';
import { Icon } from './header';

/** The composer: a growing textarea where Enter sends (Shift+Enter is a new line), the send button and its error. */
export function Composer(props: {
  text: string;
  error: string;
  strings: Strings;
  inputRef: Ref<HTMLTextAreaElement>;
  onInput: (e: { currentTarget: HTMLTextAreaElement }) => void;
  onSubmit: () => void;
  onBlur: () => void;
}) {
  const { text, strings: s, onSubmit } = props;
  return (
    <form
      part="composer"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {props.error && <p role="alert">{props.error}</p>}
      <textarea
        ref={props.inputRef}
        aria-label={s.messageLabel}
        placeholder={s.placeholder}
        rows={1}
        value={text}
        onInput={props.onInput}
        onBlur={props.onBlur}
        onKeyDown={(e) => {
          // isComposing: the Enter that confirms an IME composition (Japanese, Chinese…) must not send.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            onSubmit();
          }
        }}
      />
      <button part="send" type="submit" class="send" aria-label={s.send} disabled={!text.trim()}>
        <Icon d={SEND_ICON} />
      </button>
    </form>
  );
}
