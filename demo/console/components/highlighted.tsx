/**
 * `text` with the [start, end) ranges in `matches` wrapped in `<mark>`: built from text nodes only, so whatever a
 * visitor wrote stays text (no HTML is ever parsed). Ranges outside the text, or out of order, are skipped.
 */
export function Highlighted({ text, matches }: { text: string; matches: readonly (readonly [number, number])[] }) {
  const parts = [];
  let at = 0;
  for (const [start, end] of matches) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
