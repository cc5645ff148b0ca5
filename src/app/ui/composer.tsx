import type { ComponentChildren, Ref } from 'preact';
import { ATTACH_ICON, SEND_ICON } from '../../icons';
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
  /** Files chosen, pasted or dropped; their preview (a lazy chunk) comes in `staged`. */
  onFiles: (files: File[]) => void;
  staged?: ComponentChildren;
  /** Files are staged: Send works without text. */
  hasFiles: boolean;
}) {
  const { text, strings: s, onSubmit, onFiles } = props;
  const take = (list: FileList | null | undefined) => list?.length && onFiles([...list]);
  return (
    <form
      part="composer"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        take(e.dataTransfer?.files);
      }}
    >
      {props.error && <p role="alert">{props.error}</p>}
      {props.staged}
      <label class="attach" title={s.attach}>
        <input
          type="file"
          multiple
          aria-label={s.attach}
          onChange={(e) => {
            take(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        <Icon d={ATTACH_ICON} />
      </label>
      <textarea
        ref={props.inputRef}
        aria-label={s.messageLabel}
        placeholder={s.placeholder}
        rows={1}
        value={text}
        onInput={props.onInput}
        onBlur={props.onBlur}
        onPaste={(e) => take(e.clipboardData?.files)}
        onKeyDown={(e) => {
          // isComposing: the Enter that confirms an IME composition (Japanese, Chinese…) must not send.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            onSubmit();
          }
        }}
      />
      <button part="send" type="submit" class="send" aria-label={s.send} disabled={!text.trim() && !props.hasFiles}>
        <Icon d={SEND_ICON} />
      </button>
    </form>
  );
}
