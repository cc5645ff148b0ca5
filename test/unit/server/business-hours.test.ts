import { describe, expect, it } from 'vitest';
import { availability } from '../../../demo/server/availability';
import { isOpen, nextOpening, parseHours, type SiteHours } from '../../../demo/server/business-hours';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function site(timeZone: string, weekly: Record<string, string[]>, closed: string[] = []): SiteHours {
  return parseHours({ s: { timeZone, weekly, closed } }).get('s')!;
}

const weekdays = (hours: string[]) => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });

describe('business hours', () => {
  const paris = site('Europe/Paris', weekdays(['09:00-12:30', '13:30-18:00']));

  it('is open inside an interval and closed in the lunch break, in the site time zone', () => {
    // Wednesday 2026-11-25, Paris is UTC+1 in winter.
    expect(isOpen(paris, at('2026-11-25T08:00:00Z'))).toBe(true); // 09:00 local: start is inclusive
    expect(isOpen(paris, at('2026-11-25T07:59:00Z'))).toBe(false);
    expect(isOpen(paris, at('2026-11-25T11:45:00Z'))).toBe(false); // 12:45 local: lunch
    expect(isOpen(paris, at('2026-11-25T17:00:00Z'))).toBe(false); // 18:00 local: end is exclusive
    expect(iso(nextOpening(paris, at('2026-11-25T11:45:00Z')))).toBe('2026-11-25T12:30:00.000Z');
  });

  it('opens on Monday morning after a weekend that crosses the spring daylight-saving change', () => {
    // Friday 2026-03-27 19:00 CET; clocks go forward on Sunday 29 March; Monday 09:00 is CEST (UTC+2).
    const friday = at('2026-03-27T18:00:00Z');
    expect(isOpen(paris, friday)).toBe(false);
    expect(iso(nextOpening(paris, friday))).toBe('2026-03-30T07:00:00.000Z');
  });

  it('opens at the right instant after the autumn change', () => {
    // Saturday 2026-10-24 (CEST); clocks go back on Sunday 25 October; Monday 09:00 is CET (UTC+1).
    expect(iso(nextOpening(paris, at('2026-10-24T12:00:00Z')))).toBe('2026-10-26T08:00:00.000Z');
  });

  it('moves a start inside a spring-forward gap past the gap, and takes the earlier of a repeated hour', () => {
    // New York: 02:00 → 03:00 on 2026-03-08, 02:00 → 01:00 on 2026-11-01 (both Sundays).
    const gap = site('America/New_York', { sun: ['02:30-05:00'] });
    expect(iso(nextOpening(gap, at('2026-03-08T05:00:00Z')))).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    const repeated = site('America/New_York', { sun: ['01:30-05:00'] });
    expect(iso(nextOpening(repeated, at('2026-11-01T04:00:00Z')))).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
  });

  it('uses the local weekday across the date line and half-hour offsets', () => {
    // Sunday 23:00 UTC is Monday 12:00 in Auckland (NZDT, UTC+13) and Monday 04:30 in Kolkata (UTC+5:30).
    const sunday = at('2026-11-29T23:00:00Z');
    expect(isOpen(site('Pacific/Auckland', { mon: ['09:00-17:00'] }), sunday)).toBe(true);
    const kolkata = site('Asia/Kolkata', { mon: ['09:00-17:00'] });
    expect(isOpen(kolkata, sunday)).toBe(false);
    expect(iso(nextOpening(kolkata, sunday))).toBe('2026-11-30T03:30:00.000Z');
  });

  it('skips closed dates, and has no opening when every day is closed', () => {
    const christmas = site('Europe/Paris', weekdays(['09:00-18:00']), ['2026-12-24', '2026-12-25']);
    expect(isOpen(christmas, at('2026-12-24T10:00:00Z'))).toBe(false);
    // Wednesday 23 December evening → Thursday and Friday closed → Monday 28 December 09:00 CET.
    expect(iso(nextOpening(christmas, at('2026-12-23T18:00:00Z')))).toBe('2026-12-28T08:00:00.000Z');
    expect(nextOpening(site('UTC', {}), at('2026-12-23T18:00:00Z'))).toBeUndefined();
  });

  it('accepts 24:00 as the end of a day', () => {
    const late = site('UTC', { fri: ['20:00-24:00'] });
    expect(isOpen(late, at('2026-11-27T23:59:00Z'))).toBe(true);
    expect(isOpen(late, at('2026-11-28T00:00:00Z'))).toBe(false);
  });

  it('refuses a bad file naming the site and field', () => {
    expect(() => parseHours([])).toThrow(/JSON object of sites/);
    expect(() => parseHours({ acme: { timeZone: 'Mars/Olympus' } })).toThrow(/hours of "acme": timeZone/);
    expect(() => parseHours({ acme: { timeZone: 'UTC', weekly: { mon: ['18:00-09:00'] } } })).toThrow(
      /weekly.mon: "18:00-09:00"/,
    );
    expect(() => parseHours({ acme: { timeZone: 'UTC', weekly: { monday: [] } } })).toThrow(/unknown weekday/);
    expect(() => parseHours({ acme: { timeZone: 'UTC', closed: ['25/12/2026'] } })).toThrow(/closed must be/);
  });
});

describe('availability', () => {
  const hours = parseHours({ acme: { timeZone: 'Europe/Paris', weekly: weekdays(['09:00-18:00']) } });
  const saturday = at('2026-11-28T10:00:00Z');
  const wednesday = at('2026-11-25T10:00:00Z');

  it('is online whenever an agent is online, even outside business hours', () => {
    expect(availability({ agents: 'online', agent: 'Ana' }, hours, 'acme', saturday)).toEqual({ state: 'online' });
  });

  it('is closed outside business hours with the next opening', () => {
    expect(availability({ agents: 'away' }, hours, 'acme', saturday)).toEqual({
      state: 'closed',
      opensAt: at('2026-11-30T08:00:00Z'),
    });
  });

  it('inside business hours is away with agents signed in but away, closed with nobody signed in', () => {
    expect(availability({ agents: 'away' }, hours, 'acme', wednesday)).toEqual({ state: 'away' });
    expect(availability({ agents: 'offline' }, hours, 'acme', wednesday)).toEqual({ state: 'closed' });
  });

  it('treats a site without hours (and no `*` entry) as always inside them', () => {
    expect(availability({ agents: 'away' }, hours, 'other', saturday)).toEqual({ state: 'away' });
    const fallback = parseHours({ '*': { timeZone: 'UTC', weekly: {} } });
    expect(availability({ agents: 'away' }, fallback, 'other', saturday)).toEqual({ state: 'closed' });
  });
});

describe('PARLEY_HOURS', () => {
  it('reads the file it names, and refuses a missing or bad one naming the variable', async () => {
    const { readConfig } = await import('../../../demo/server/config');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'parley-hours-'));
    const good = join(dir, 'hours.json');
    writeFileSync(good, JSON.stringify({ acme: { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } } }));
    expect(readConfig({ PARLEY_HOURS: good }).hours?.get('acme')?.timeZone).toBe('Europe/Paris');
    expect(readConfig({}).hours).toBeUndefined();
    expect(() => readConfig({ PARLEY_HOURS: join(dir, 'missing.json') })).toThrow(/^PARLEY_HOURS: cannot read JSON/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ acme: { timeZone: 'Nowhere/Else' } }));
    expect(() => readConfig({ PARLEY_HOURS: bad })).toThrow(/^PARLEY_HOURS \(.*\): hours of "acme": timeZone/);
  });
});
