/**
 * The new text of an emailed reply: what the visitor wrote above the quoted history and the signature. Pure, so the
 * patterns are tested one by one (mail clients differ; these are the common ones: Gmail, Apple Mail, Outlook,
 * Thunderbird, and the French and German "wrote" lines).
 */

/** A line that starts the quoted history: everything from it on is dropped. */
const HISTORY_STARTS = [
  // "On Mon, 30 Nov 2026 at 09:00, Parley <x@y> wrote:" (Gmail, Apple Mail), possibly wrapped over two lines.
  /^On\b.*\bwrote:\s*$/i,
  /^Le\b.*\ba écrit\s*:\s*$/i,
  /^Am\b.*\bschrieb\b.*:\s*$/i,
  /^-{2,}\s*Original Message\s*-{2,}/i,
  /^_{10,}\s*$/, // Outlook's rule before "From:"
  /^From:\s.*$/i, // Outlook without the rule
  /^Sent from my \w+/i,
];

/** The signature delimiter "-- " (RFC 3676), and the same without its trailing space as clients often send it. */
const SIGNATURE = /^--\s?$/;

export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const joined = `${line} ${lines[i + 1] ?? ''}`;
    if (SIGNATURE.test(line) || HISTORY_STARTS.some((re) => re.test(line))) break;
    // A "wrote:" line wrapped by the client: "On …, Parley" / "<reply+…> wrote:".
    if (/^On\b/i.test(line) && /\bwrote:\s*$/i.test(joined) && !/\bwrote:/i.test(line)) break;
    if (line.startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}
