import type { ConversationSummary, LastMessage, VisitorInfo } from '../../src/protocol.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Short relative time for the conversation list: "now", "5 min", "3 h", "2 d", then a date. */
export function relativeTime(at: number, now: number): string {
  const ago = Math.max(0, now - at);
  if (ago < 45_000) return 'now';
  if (ago < HOUR) return `${Math.max(1, Math.round(ago / MINUTE))} min`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h`;
  if (ago < 7 * DAY) return `${Math.floor(ago / DAY)} d`;
  return new Date(at).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** Wall-clock time of a message ("14:05"), with the date when it is not today. */
export function messageTime(at: number, now: number): string {
  const d = new Date(at);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** Full date and time, for `title` tooltips. */
export function fullTime(at: number): string {
  return new Date(at).toLocaleString();
}

/** What to call a visitor: their name or email once identified, else the anonymous label. */
export function visitorName(v: VisitorInfo): string {
  return v.name?.trim() || v.email?.trim() || v.label;
}

/** One line preview of the last message; a message with files only says what was sent. */
export function preview(c: ConversationSummary): string {
  const m = c.lastMessage;
  if (!m) return 'No messages yet';
  const text = lastMessageText(m);
  return m.author === 'agent' ? `Agent: ${text}` : text;
}

/** A last message's text on one line, or for a message with files only what was sent ("📎 photo.png"). */
export function lastMessageText(m: LastMessage): string {
  return m.text.replace(/\s+/g, ' ').trim() || (m.files ? filesLabel(m.files) : '');
}

/** "📎 photo.png" for one file, "📎 2 files" for more. */
export function filesLabel(files: { count: number; name: string }): string {
  return `📎 ${files.count === 1 ? files.name : `${files.count} files`}`;
}

const BROWSERS: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/(?:Chrome|CriOS)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)(?:\.\d+)*.*Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome 126 on macOS" from a user-agent string; undefined when it says nothing useful. */
export function shortBrowser(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  let browser: string | undefined;
  for (const [re, name] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? (ua.length > 60 ? `${ua.slice(0, 57)}…` : ua);
}

/** Human-readable language name for a BCP 47 tag ("fr-CA" → "French (Canada)"), falling back to the tag. */
export function languageName(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  try {
    const name = new Intl.DisplayNames(undefined, { type: 'language' }).of(locale);
    return name && name !== locale ? `${name} (${locale})` : locale;
  } catch {
    return locale;
  }
}
