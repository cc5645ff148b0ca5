/** Up to two initials: "Ana Lima" → "AL", "ben" → "B". */
export const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0])
    .join('')
    .toUpperCase();

/** A hue derived from the name, so each agent keeps one colour in every conversation. */
export const hue = (name: string) => [...name].reduce((h, c) => (h * 31 + c.codePointAt(0)!) % 360, 0);

/**
 * The agent's picture when the gateway has one (`welcome.avatars`), else the initials on a colour of their own; 30%
 * lightness keeps white initials above 4.5:1 at every hue. The initials are drawn by CSS from `data-i`, so the author
 * element's text stays the name alone.
 */
export function Avatar({ name, url }: { name: string; url?: string | undefined }) {
  return url ? (
    <img class="av" alt="" src={url} />
  ) : (
    <span class="av" aria-hidden="true" data-i={initials(name)} style={{ background: `hsl(${hue(name)} 50% 30%)` }} />
  );
}
