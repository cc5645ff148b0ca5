/**
 * Message text for both the widget and the agent console: split into text and link tokens that the caller renders
 * as text nodes and anchors, so no markup in a message can ever reach the DOM.
 */
/** A piece of message text: plain text, or a link whose `href` passed the protocol allowlist. */
export type TextToken = { type: 'text'; text: string } | { type: 'link'; text: string; href: string };

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const CANDIDATE = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
// Punctuation that usually ends the sentence around a URL rather than the URL itself.
const TRAILING = /[.,;:!?'"»”’]+$/;

/** The normalized URL when it uses http:, https: or mailto:, otherwise null. */
export function safeUrl(raw: string, allowed: ReadonlySet<string> = ALLOWED_PROTOCOLS): string | null {
  try {
    const url = new URL(raw);
    if (!allowed.has(url.protocol)) return null;
    if (url.protocol !== 'mailto:' && !url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

/** An http(s) URL safe to link to (e.g. a visitor's current page), otherwise null. */
export function safeHttpUrl(raw: string | undefined): string | null {
  return raw ? safeUrl(raw, new Set(['http:', 'https:'])) : null;
}

const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Drops trailing punctuation and unbalanced closing brackets, so "(see https://x.io/a)." links only the URL. */
function trimCandidate(candidate: string): string {
  for (let s = candidate; ; ) {
    let t = s.replace(TRAILING, '');
    const last = t.at(-1) ?? '';
    const open = CLOSING[last];
    if (open && t.split(last).length > t.split(open).length) t = t.slice(0, -1);
    if (t === s) return s;
    s = t;
  }
}

/** Splits message text into text and link tokens; only http:, https: and mailto: URLs become links. */
export function linkify(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = tokens.at(-1);
    if (prev?.type === 'text') prev.text += t;
    else tokens.push({ type: 'text', text: t });
  };
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const candidate = trimCandidate(match[0]);
    const href = candidate.length > 'mailto:'.length ? safeUrl(candidate) : null;
    if (!href) continue;
    push(text.slice(last, start));
    tokens.push({ type: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  push(text.slice(last));
  return tokens;
}
