import { describe, expect, it } from 'vitest';
import { type AlertContext, DEFAULT_PREFS, decideAlert, faviconFor } from '../../../demo/console/alerts/decide';

const ctx = (over: Partial<AlertContext> = {}): AlertContext => ({
  me: 'Ana',
  away: false,
  prefs: DEFAULT_PREFS,
  permission: 'granted',
  reading: false,
  anyTabVisible: false,
  ...over,
});
const both = { desktop: true, sound: true };
const none = { desktop: false, sound: false };

describe('decideAlert', () => {
  it('alerts for a new conversation, and for messages in my conversations or unassigned ones', () => {
    expect(decideAlert({ kind: 'new' }, ctx())).toEqual(both);
    expect(decideAlert({ kind: 'new', assignee: 'Ben' }, ctx())).toEqual(both);
    expect(decideAlert({ kind: 'message' }, ctx())).toEqual(both);
    expect(decideAlert({ kind: 'message', assignee: 'Ana' }, ctx())).toEqual(both);
  });

  it("stays quiet for another agent's conversation, while away, while reading it, or before sign-in", () => {
    expect(decideAlert({ kind: 'message', assignee: 'Ben' }, ctx())).toEqual(none);
    expect(decideAlert({ kind: 'new' }, ctx({ away: true }))).toEqual(none);
    expect(decideAlert({ kind: 'message' }, ctx({ reading: true, anyTabVisible: true }))).toEqual(none);
    expect(decideAlert({ kind: 'new' }, ctx({ me: null }))).toEqual(none);
  });

  it('shows a desktop notification only with the permission, the preference, and no console tab in view', () => {
    expect(decideAlert({ kind: 'new' }, ctx({ permission: 'default' }))).toEqual({ desktop: false, sound: true });
    expect(decideAlert({ kind: 'new' }, ctx({ permission: 'denied' }))).toEqual({ desktop: false, sound: true });
    expect(decideAlert({ kind: 'new' }, ctx({ permission: 'unsupported' }))).toEqual({ desktop: false, sound: true });
    expect(decideAlert({ kind: 'new' }, ctx({ anyTabVisible: true }))).toEqual({ desktop: false, sound: true });
    const quiet = { desktop: false, sound: false };
    expect(decideAlert({ kind: 'new' }, ctx({ prefs: quiet }))).toEqual(none);
    expect(decideAlert({ kind: 'new' }, ctx({ prefs: { desktop: true, sound: false } }))).toEqual({
      desktop: true,
      sound: false,
    });
  });
});

describe('faviconFor', () => {
  const svg = (href: string) => decodeURIComponent(href.replace('data:image/svg+xml,', ''));
  it('draws the unread count as a badge, capped at 99+', () => {
    expect(svg(faviconFor(0))).not.toContain('<circle');
    expect(svg(faviconFor(3))).toContain('>3</text>');
    expect(svg(faviconFor(250))).toContain('>99+</text>');
  });
});
