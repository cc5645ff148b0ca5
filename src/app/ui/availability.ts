import type { Strings } from '../../locales/types';
import type { Availability } from '../../protocol';

/**
 * The header's line when no agent is online: "Usually replies in a few minutes" (away), "Back tomorrow at 9:00"
 * (closed, with the next opening in the visitor's own time zone and language), or the plain away line. Undefined
 * when an agent is online: the header names them.
 */
export function availabilityLine(
  a: Availability | undefined,
  s: Strings,
  lang: string,
  time: Intl.DateTimeFormat,
  now = Date.now(),
): string | undefined {
  if (!a || a.state === 'online') return undefined;
  if (a.state === 'away') return s.presenceAway;
  if (a.opensAt === undefined) return s.presenceOffline;
  const midnight = (t: number) => new Date(t).setHours(0, 0, 0, 0);
  const days = Math.round((midnight(a.opensAt) - midnight(now)) / 86_400_000);
  const day =
    days < 2
      ? new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(days, 'day')
      : new Intl.DateTimeFormat(lang, { weekday: 'long' }).format(a.opensAt);
  return s.backAt(day, time.format(a.opensAt));
}
