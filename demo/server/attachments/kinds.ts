import { fileTypeFromBuffer } from 'file-type';
import { extensionOf } from './names';

/** A file type the gateway knows how to accept safely. SVG and HTML are not among them: they are active content. */
interface Kind {
  extensions: readonly string[];
  /** Re-encoded with sharp, shown inline; everything else is served as a download. */
  image: boolean;
}

export const KINDS: Readonly<Record<string, Kind>> = {
  'image/png': { extensions: ['png'], image: true },
  'image/jpeg': { extensions: ['jpg', 'jpeg'], image: true },
  'image/gif': { extensions: ['gif'], image: true },
  'image/webp': { extensions: ['webp'], image: true },
  'application/pdf': { extensions: ['pdf'], image: false },
  'text/plain': { extensions: ['txt', 'log', 'csv'], image: false },
};

export const DEFAULT_TYPES: readonly string[] = Object.keys(KINDS);

/** `PARLEY_UPLOAD_TYPES`: a subset of `KINDS`; throws on an unknown type (e.g. `image/svg+xml`). */
export function parseUploadTypes(raw: string | undefined): string[] {
  if (!raw?.trim()) return [...DEFAULT_TYPES];
  const types = raw
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  for (const type of types) {
    if (!KINDS[type]) throw new Error(`PARLEY_UPLOAD_TYPES: ${type} is not one of ${DEFAULT_TYPES.join(', ')}`);
  }
  return types;
}

/** Bytes file-type needs to recognise every format above. */
export const SNIFF_BYTES = 4100;

export type Detected = { ok: true; type: string; image: boolean } | { ok: false; message: string };

/**
 * The file's type from its first bytes, agreeing with its name's extension and allowed: an HTML page renamed `.png`
 * has no PNG signature and is refused; a PNG named `.pdf` is refused too. Plain text has no signature: it is accepted
 * only when file-type finds none and the bytes hold no NUL or other binary control characters.
 */
export async function detectKind(head: Uint8Array, name: string, allowed: readonly string[]): Promise<Detected> {
  const ext = extensionOf(name);
  const sniffed = await fileTypeFromBuffer(head);
  const type = sniffed?.mime ?? (looksLikeText(head) ? 'text/plain' : undefined);
  if (!type || !allowed.includes(type)) return { ok: false, message: 'this type of file is not allowed' };
  const kind = KINDS[type]!;
  if (!kind.extensions.includes(ext)) {
    return { ok: false, message: `the file's content (${type}) does not match its name` };
  }
  return { ok: true, type, image: kind.image };
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  for (const byte of head) {
    // Tab, line feed, form feed and carriage return are text; other C0 controls and NUL mean a binary file.
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 12 && byte !== 13) return false;
  }
  return true;
}
