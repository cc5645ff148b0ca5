import type { ErrorCode } from '../protocol';
import type { OutboxFile } from './deliver';
import { type AttachmentStrings, attachmentStrings, refusalText } from './strings';
import { formatBytes } from './upload';

export { useJsx } from './jsx';
// The widget's lazily loaded attachment chunk (`import()` from the panel): fetched the first time the visitor picks a
// file or a message with files is shown, never for a chat without files.
export { MessageFiles, StagedFiles } from './widget-ui';
export { attachmentStrings };

/** The files of a message still in the outbox: chips, the upload's progress, or why they were refused. */
export function QueuedFiles(props: {
  files: OutboxFile[];
  refusal?: ErrorCode | undefined;
  done?: number | undefined;
  strings: AttachmentStrings;
}) {
  const { strings: s } = props;
  return (
    <ul class="files">
      {props.files.map((f) => (
        <li key={f.name} class="chip">
          {f.name} · {formatBytes(f.blob.size)}
        </li>
      ))}
      {props.done !== undefined && <progress max={1} value={props.done} aria-label={s.uploading} />}
      {props.refusal && <li role="alert">{refusalText(props.refusal, s)}</li>}
    </ul>
  );
}
