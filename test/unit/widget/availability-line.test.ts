import { describe, expect, it } from 'vitest';
import { availabilityLine } from '../../../src/app/ui/availability';
import { strings as en } from '../../../src/locales/en/panel';
import { strings as fr } from '../../../src/locales/fr/panel';

// The visitor's own clock and zone (whatever this process runs in): a local Friday noon.
const now = new Date(2026, 10, 27, 12, 0).getTime();
const local = (day: number, hour: number) => new Date(2026, 10, day, hour, 0).getTime();
const time = (lang: string) => new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });

describe('availabilityLine', () => {
  it('says nothing when an agent is online, and the away lines otherwise', () => {
    expect(availabilityLine({ state: 'online' }, en, 'en', time('en'), now)).toBeUndefined();
    expect(availabilityLine(undefined, en, 'en', time('en'), now)).toBeUndefined();
    expect(availabilityLine({ state: 'away' }, en, 'en', time('en'), now)).toBe('Usually replies in a few minutes');
    expect(availabilityLine({ state: 'closed' }, en, 'en', time('en'), now)).toBe(en.presenceOffline);
  });

  it('names the next opening as today, tomorrow or a weekday, in the visitor language', () => {
    const at = (day: number, lang = 'en') =>
      availabilityLine({ state: 'closed', opensAt: local(day, 9) }, lang === 'fr' ? fr : en, lang, time(lang), now);
    expect(at(27)).toBe('Back today at 9:00 AM');
    expect(at(28)).toBe('Back tomorrow at 9:00 AM');
    expect(at(30)).toBe('Back Monday at 9:00 AM');
    expect(at(28, 'fr')).toBe('De retour demain à 9:00');
  });
});
