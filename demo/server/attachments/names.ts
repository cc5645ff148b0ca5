/**
 * The name a file is stored and shown under: the last path segment only, Unicode NFC, with control characters,
 * bidirectional overrides and isolates (which make `gnp.exe` read as `exe.png`) replaced by `_`, no leading dot, at
 * most 200 characters. Quotes and semicolons stay: the name is only ever shown as text and put in headers through
 * `content-disposition`, which escapes them.
 */
export function safeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  return [...cleaned].slice(0, 200).join('') || 'file';
}

/** The extension of a name, lower case, without the dot; '' when there is none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}
