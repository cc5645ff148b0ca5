import { useState } from 'preact/hooks';
import { freshUrls, renewing } from '../../../src/attachments/renew.js';
import { formatBytes, uploadFile } from '../../../src/attachments/upload.js';
import type { Attachment, UploadedFile } from '../../../src/protocol.js';
import { loadToken } from '../session.js';

/** A file chosen for the next reply: uploading (with progress), uploaded (with its id), or refused. */
export interface PendingFile {
  key: number;
  name: string;
  size: number;
  progress: number;
  uploaded?: UploadedFile;
  error?: string;
}

let keys = 0;

/**
 * The files of the reply being written: each is uploaded as soon as it is chosen (pasted or dropped), so Send only
 * names their ids. `ids()` is undefined while one is still uploading.
 */
export function usePendingFiles(conversationId: string) {
  const [files, setFiles] = useState<PendingFile[]>([]);
  const patch = (key: number, change: Partial<PendingFile>) =>
    setFiles((list) => list.map((f) => (f.key === key ? { ...f, ...change } : f)));
  const add = (chosen: Iterable<File>) => {
    const token = loadToken() ?? '';
    for (const file of chosen) {
      const key = ++keys;
      setFiles((list) => [...list, { key, name: file.name, size: file.size, progress: 0 }]);
      void uploadFile(location.origin, { agentToken: token, conversationId }, file, file.name, (progress) =>
        patch(key, { progress }),
      ).then((result) =>
        patch(key, result.ok ? { uploaded: result.attachment, progress: 1 } : { error: result.message }),
      );
    }
  };
  const remove = (key: number) => setFiles((list) => list.filter((f) => f.key !== key));
  const busy = files.some((f) => !f.uploaded && !f.error);
  const ids = files.flatMap((f) => (f.uploaded ? [f.uploaded.id] : []));
  return { files, add, remove, busy, ids, clear: () => setFiles([]) };
}

/** "Attach a file", and the chosen files as chips with progress and a remove button. */
export function AttachmentPicker({ pending }: { pending: ReturnType<typeof usePendingFiles> }) {
  return (
    <div class="attach">
      <label class="button button--quiet attach__button">
        Attach a file
        <input
          class="sr-only"
          type="file"
          multiple
          onChange={(e) => {
            pending.add(Array.from(e.currentTarget.files ?? []));
            e.currentTarget.value = '';
          }}
        />
      </label>
      {pending.files.length > 0 && (
        <ul class="attach__list" aria-label="Files to send">
          {pending.files.map((f) => (
            <li key={f.key} class={`chip${f.error ? ' chip--error' : ''}`}>
              <span class="chip__name">{f.name}</span> <span class="muted">{formatBytes(f.size)}</span>
              {!f.uploaded && !f.error && <progress max={1} value={f.progress} aria-label={`Uploading ${f.name}`} />}
              {f.error && <span role="alert"> {f.error}</span>}
              <button
                type="button"
                class="button button--quiet button--small"
                aria-label={`Remove ${f.name}`}
                onClick={() => pending.remove(f.key)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A message's files: image thumbnails opening the full image, other files as chips with name and size. Links and
 * thumbnails are re-signed when their URLs expired (a console left open past `PARLEY_FILE_URL_TTL_MINUTES`).
 */
export function AttachmentList({ files, conversationId }: { files: Attachment[]; conversationId: string }) {
  const renew = (f: Attachment) =>
    renewing('', () => freshUrls(location.origin, { agentToken: loadToken() ?? '', conversationId }, f.id));
  return (
    <ul class="files">
      {files.map((f) => {
        const { onClick, onError } = renew(f);
        return (
          <li key={f.id}>
            {f.thumbUrl ? (
              <a href={f.url} target="_blank" rel="noopener noreferrer" onClick={onClick}>
                <img
                  class="files__thumb"
                  src={f.thumbUrl}
                  alt={f.name}
                  width={thumbSize(f).width}
                  height={thumbSize(f).height}
                  onError={onError}
                />
              </a>
            ) : (
              <a class="chip" href={f.url} download={f.name} rel="noopener noreferrer" onClick={onClick}>
                <span class="chip__name">{f.name}</span> <span class="muted">{formatBytes(f.size)}</span>
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The thumbnail's box (at most 320 px, as the gateway makes it), reserved before it loads. */
function thumbSize(f: Attachment): { width: number; height: number } {
  const w = f.width ?? 320;
  const h = f.height ?? 320;
  const scale = Math.min(1, 320 / Math.max(w, h));
  return { width: Math.round(w * scale), height: Math.round(h * scale) };
}
