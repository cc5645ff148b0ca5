import type { Attachment } from '../protocol';
import { freshUrls, renewing } from './renew';
import type { AttachmentStrings } from './strings';
import { formatBytes } from './upload';

// The widget's attachment UI, in a lazily loaded chunk: nothing here is fetched until the visitor presses "Attach a
// file" or a message with files is shown. Names are only ever text; URLs are the gateway's signed paths. No hooks and
// no Preact import: the build gives these files the panel's `h` (see jsx.ts), so Preact stays in the core's chunk.

const CSS = `
.files{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.375rem}
.files img{display:block;max-width:100%;height:auto;border-radius:.5rem}
.chip{display:inline-flex;align-items:center;gap:.25rem;max-width:100%;padding:.125rem .5rem;border:1px solid currentColor;border-radius:1rem;color:inherit;font-size:.8125rem;overflow-wrap:anywhere}
.chip button{font:inherit;border:0;background:none;color:inherit;cursor:pointer;padding:0 .125rem}
.staged{flex-basis:100%}
`;

let sheet: CSSStyleSheet | undefined;

/** A ref callback: adds the chunk's stylesheet to the shadow root `el` renders in (constructable: `style-src 'self'`). */
function adopt(el: Element | null): void {
  const root = el?.getRootNode();
  if (!(root instanceof ShadowRoot) || typeof CSSStyleSheet === 'undefined') return;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/** One object URL per chosen image, for its preview; released when the page goes (a few per message at most). */
const previews = new WeakMap<File, string>();
function preview(file: File): string {
  if (!file.type.startsWith('image/')) return '';
  let url = previews.get(file);
  if (!url) {
    url = URL.createObjectURL(file);
    previews.set(file, url);
  }
  return url;
}

/** The box of a thumbnail (at most 320 px, as the gateway makes it), reserved before it loads: no layout shift. */
function thumbBox(f: Attachment): { width: number; height: number } {
  const w = f.width ?? 320;
  const h = f.height ?? 320;
  const scale = Math.min(1, 320 / Math.max(w, h));
  return { width: Math.round(w * scale), height: Math.round(h * scale) };
}

/**
 * A message's files: image thumbnails opening the full image in a new tab, other files as download chips. Expired
 * URLs (a tab open past `PARLEY_FILE_URL_TTL_MINUTES`) are re-signed for the visitor's session on click or error.
 */
export function MessageFiles({
  files,
  gateway,
  session,
}: {
  files: Attachment[];
  gateway: string;
  session: () => string;
}) {
  return (
    <ul class="files" ref={adopt}>
      {files.map((f) => {
        const { onClick, onError } = renewing(gateway, () => freshUrls(gateway, { session: session() }, f.id));
        return (
          <li key={f.id}>
            {f.thumbUrl ? (
              <a href={gateway + f.url} target="_blank" rel="noopener noreferrer" onClick={onClick}>
                <img src={gateway + f.thumbUrl} alt={f.name} {...thumbBox(f)} onError={onError} />
              </a>
            ) : (
              <a class="chip" href={gateway + f.url} download={f.name} rel="noopener noreferrer" onClick={onClick}>
                {f.name} · {formatBytes(f.size)}
              </a>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The files chosen for the next message, before it is sent: a preview (images) or a chip, each with Remove. */
export function StagedFiles(props: {
  files: File[];
  error: string;
  strings: AttachmentStrings;
  onRemove: (index: number) => void;
}) {
  return (
    <div class="staged" ref={adopt}>
      {props.error && <p role="alert">{props.error}</p>}
      <ul class="files">
        {props.files.map((f, i) => (
          <li key={`${f.name}-${i}`} class="chip">
            {preview(f) && <img src={preview(f)} alt="" width={32} height={32} />}
            {f.name} · {formatBytes(f.size)}
            <button type="button" aria-label={`${props.strings.remove} ${f.name}`} onClick={() => props.onRemove(i)}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
