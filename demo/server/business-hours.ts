/**
 * Business hours per site, and the instants they open and close, in the site's IANA time zone. Pure: every function
 * takes the instant it reasons about, so tests cross time zones and daylight-saving changes with fixed dates. Uses
 * `Intl.DateTimeFormat` only (Node ships the full time-zone database), no dependency.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** Index 0 is Sunday, as `Date.prototype.getUTCDay` counts. */
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** One opening interval of a day, in minutes after local midnight: `start` inclusive, `end` exclusive (≤ 1440). */
export interface Interval {
  start: number;
  end: number;
}

export interface SiteHours {
  timeZone: string;
  /** Intervals per weekday, sorted; a missing or empty day is closed. */
  weekly: Partial<Record<Weekday, Interval[]>>;
  /** Local dates (`YYYY-MM-DD`) closed all day. */
  closed: ReadonlySet<string>;
}

/** Hours by site key; `*` applies to sites without an entry of their own. */
export type HoursConfig = ReadonlyMap<string, SiteHours>;

/** How far ahead `nextOpening` looks: two weeks covers any weekly schedule plus a run of closed dates. */
const LOOKAHEAD_DAYS = 14;

/** The hours of `site`, or of `*`, or undefined when the site has none (always open). */
export function hoursFor(config: HoursConfig, site: string): SiteHours | undefined {
  return config.get(site) ?? config.get('*');
}

/** Whether the site is inside its business hours at `now` (epoch ms). */
export function isOpen(hours: SiteHours, now: number): boolean {
  const local = localParts(hours.timeZone, now);
  if (hours.closed.has(local.date)) return false;
  const minute = local.hour * 60 + local.minute;
  return (hours.weekly[WEEKDAYS[local.weekday]!] ?? []).some((i) => i.start <= minute && minute < i.end);
}

/**
 * The first instant after `now` at which an interval starts, within `LOOKAHEAD_DAYS`; undefined when there is none
 * (no intervals, or every day closed). A start that falls in a daylight-saving gap (e.g. 02:30 on a spring-forward
 * night) is moved forward by the gap, as `Temporal`'s `compatible` disambiguation does; one that occurs twice (fall
 * back) is the earlier of the two.
 */
export function nextOpening(hours: SiteHours, now: number): number | undefined {
  const today = localParts(hours.timeZone, now);
  const base = Date.UTC(today.year, today.month - 1, today.day);
  for (let offset = 0; offset <= LOOKAHEAD_DAYS; offset++) {
    const day = new Date(base + offset * 86_400_000);
    const date = day.toISOString().slice(0, 10);
    if (hours.closed.has(date)) continue;
    for (const interval of hours.weekly[WEEKDAYS[day.getUTCDay()]!] ?? []) {
      const at = zonedInstant(hours.timeZone, day, interval.start);
      if (at > now) return at;
    }
  }
  return undefined;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
  /** `YYYY-MM-DD`. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock date and time in `timeZone` at `instant`. */
export function localParts(timeZone: string, instant: number): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0 } = parts;
  const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { year, month, day, hour, minute, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(), date };
}

/** Minutes `timeZone` is ahead of UTC at `instant`. */
function offsetMinutes(timeZone: string, instant: number): number {
  const p = localParts(timeZone, instant);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return Math.round((asUtc - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

/** The instant when the wall clock in `timeZone` shows `minutes` after midnight of the UTC-dated `day`. */
export function zonedInstant(timeZone: string, day: Date, minutes: number): number {
  const wall = day.getTime() + minutes * 60_000;
  // The offsets in force half a day either side cover any single transition on that day.
  const before = wall - offsetMinutes(timeZone, wall - 43_200_000) * 60_000;
  const after = wall - offsetMinutes(timeZone, wall + 43_200_000) * 60_000;
  const shows = (instant: number) => {
    const p = localParts(timeZone, instant);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) === wall;
  };
  const valid = [before, after].filter(shows);
  if (valid.length) return Math.min(...valid);
  // A gap: the wall time never shows; the later candidate is the same distance past the jump.
  return Math.max(before, after);
}

/**
 * Parses the hours file (`PARLEY_HOURS`), e.g.
 * `{ "acme": { "timeZone": "Europe/Paris", "weekly": { "mon": ["09:00-12:30", "13:30-18:00"] }, "closed": ["2026-12-25"] } }`.
 * Throws an Error naming the site and the field at fault.
 */
export function parseHours(json: unknown): HoursConfig {
  if (!isRecord(json)) throw new Error('the hours file must hold a JSON object of sites');
  const config = new Map<string, SiteHours>();
  for (const [site, value] of Object.entries(json)) config.set(site, parseSite(site, value));
  return config;
}

function parseSite(site: string, value: unknown): SiteHours {
  const where = `hours of "${site.slice(0, 64)}"`;
  if (!isRecord(value)) throw new Error(`${where}: must be an object with timeZone, weekly and closed`);
  const { timeZone, weekly = {}, closed = [] } = value;
  if (typeof timeZone !== 'string' || !validTimeZone(timeZone)) {
    throw new Error(`${where}: timeZone must be an IANA time zone such as "Europe/Paris"`);
  }
  if (!isRecord(weekly)) throw new Error(`${where}: weekly must be an object of weekdays (mon … sun)`);
  const days: Partial<Record<Weekday, Interval[]>> = {};
  for (const [day, intervals] of Object.entries(weekly)) {
    if (!WEEKDAYS.includes(day as Weekday)) throw new Error(`${where}: unknown weekday "${day}" (use mon … sun)`);
    if (!Array.isArray(intervals)) throw new Error(`${where}: weekly.${day} must be a list like ["09:00-17:00"]`);
    days[day as Weekday] = intervals.map((text) => parseInterval(`${where}, weekly.${day}`, text)).sort(byStart);
  }
  if (!Array.isArray(closed) || !closed.every((d) => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d))) {
    throw new Error(`${where}: closed must be a list of dates like "2026-12-25"`);
  }
  return { timeZone, weekly: days, closed: new Set(closed as string[]) };
}

function parseInterval(where: string, text: unknown): Interval {
  const match = typeof text === 'string' ? /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text) : null;
  const minutes = (h?: string, m?: string) => Number(h) * 60 + Number(m);
  const start = match ? minutes(match[1], match[2]) : Number.NaN;
  const end = match ? minutes(match[3], match[4]) : Number.NaN;
  if (!(start >= 0 && end <= 1440 && start < end && Number(match?.[2]) < 60 && Number(match?.[4]) < 60)) {
    throw new Error(`${where}: "${String(text).slice(0, 20)}" must be "HH:MM-HH:MM" with start < end ≤ 24:00`);
  }
  return { start, end };
}

const byStart = (a: Interval, b: Interval) => a.start - b.start;

function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
