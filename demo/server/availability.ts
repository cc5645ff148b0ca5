import type { Availability, VisitorPresence } from '../../src/protocol';
import { type HoursConfig, hoursFor, isOpen, nextOpening } from './business-hours';

/**
 * What a site's visitors are told about when to expect a reply (`Availability`), from who is connected and the site's
 * business hours. An online agent answers whatever the clock says, so `online` wins; otherwise outside the hours is
 * `closed` with the next opening, and inside them `away` when agents are signed in but away, `closed` (no opening
 * known) when none is.
 */
export function availability(presence: VisitorPresence, hours: HoursConfig, site: string, now: number): Availability {
  if (presence.agents === 'online') return { state: 'online' };
  const siteHours = hoursFor(hours, site);
  if (siteHours && !isOpen(siteHours, now)) {
    const opensAt = nextOpening(siteHours, now);
    return opensAt === undefined ? { state: 'closed' } : { state: 'closed', opensAt };
  }
  return { state: presence.agents === 'away' ? 'away' : 'closed' };
}

/** Tells each site's visitors on this process when their availability changes. */
export interface AvailabilityAnnouncer {
  /** The availability of `site` now. */
  current(site: string): Availability;
  /** Sends each site room of this process its availability when it changed since the last announcement. */
  announce(): void;
  stop(): void;
}

/** How often business hours are checked for an opening or closing (a minute's resolution is enough for "9:00"). */
export const AVAILABILITY_TICK_MS = 30_000;

/**
 * Announces availability on presence changes (`announce`, called with the presence broadcast) and on a timer, for
 * the hours opening and closing. Local only, as presence is (see `broadcastPresence`): every process announces to its
 * own sockets.
 */
export function createAvailabilityAnnouncer(input: {
  presence: () => VisitorPresence;
  hours: HoursConfig;
  /** This process's site rooms with at least one socket. */
  sites: () => Iterable<string>;
  emit: (site: string, availability: Availability) => void;
  now?: () => number;
  tickMs?: number;
}): AvailabilityAnnouncer {
  const now = input.now ?? Date.now;
  const announced = new Map<string, string>();
  const current = (site: string) => availability(input.presence(), input.hours, site, now());
  const announce = () => {
    const live = new Set(input.sites());
    for (const site of announced.keys()) if (!live.has(site)) announced.delete(site);
    for (const site of live) {
      const value = current(site);
      const key = JSON.stringify(value);
      if (announced.get(site) === key) continue;
      // A site seen for the first time is told too: a socket welcomed between two ticks may hold an older value.
      announced.set(site, key);
      input.emit(site, value);
    }
  };
  // Without hours, only presence changes availability, and those call `announce` themselves.
  const timer = input.hours.size ? setInterval(announce, input.tickMs ?? AVAILABILITY_TICK_MS) : undefined;
  timer?.unref();
  return { current, announce, stop: () => clearInterval(timer) };
}
