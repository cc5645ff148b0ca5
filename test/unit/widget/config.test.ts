import { afterEach, describe, expect, it, vi } from 'vitest';
import { contrast, DEFAULTS, parseConfig, textColorOn } from '../../../src/loader/config';

const src = 'https://chat.example.com/parley.js';

describe('parseConfig', () => {
  afterEach(() => vi.restoreAllMocks());

  it('applies defaults, with the gateway at the origin of the script', () => {
    const c = parseConfig({}, { scriptSrc: src, language: 'fr-FR' });
    expect(c).toEqual({
      gateway: 'https://chat.example.com',
      site: 'default',
      title: '',
      subtitle: '',
      greeting: '',
      color: DEFAULTS.color,
      position: 'right',
      theme: 'auto',
      locale: 'fr-FR',
      open: false,
      launcher: true,
      zIndex: DEFAULTS.zIndex,
    });
  });

  it('reads every valid attribute', () => {
    const c = parseConfig(
      {
        gateway: 'https://gw.example.org/some/path',
        site: 'acme',
        title: 'Acme support',
        subtitle: 'We answer fast',
        greeting: 'Hi!',
        color: '#0F766E',
        position: 'left',
        theme: 'dark',
        locale: 'pt-BR',
        open: 'true',
        launcher: 'false',
        zIndex: '10',
        nonce: 'abc',
        userToken: 'a.b.c',
      },
      { scriptSrc: src },
    );
    expect(c).toMatchObject({
      gateway: 'https://gw.example.org',
      site: 'acme',
      title: 'Acme support',
      color: '#0f766e',
      position: 'left',
      theme: 'dark',
      locale: 'pt-BR',
      open: true,
      launcher: false,
      zIndex: 10,
      nonce: 'abc',
      userToken: 'a.b.c',
    });
  });

  it('warns once per bad value, naming the attribute and the fallback, and falls back', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const attrs = { color: 'red-ish', position: 'middle', zIndex: 'high', theme: 'neon', open: 'yes' };
    const c = parseConfig(attrs, { scriptSrc: src });
    parseConfig(attrs, { scriptSrc: src });
    expect(c.color).toBe(DEFAULTS.color);
    expect(c.position).toBe('right');
    expect(c.zIndex).toBe(DEFAULTS.zIndex);
    expect(c.theme).toBe('auto');
    expect(c.open).toBe(false);
    const messages = warn.mock.calls.map((call) => String(call[0]));
    expect(messages).toContain('[parley] data-color="red-ish" is not a color (#rgb or #rrggbb); using #4f46e5');
    expect(messages).toHaveLength(5);
    expect(messages).toContain('[parley] data-z-index="high" is not an integer from 0 to 2147483647; using 2147483647');
    expect(messages).toContain('[parley] data-position="middle" is not left or right; using right');
  });

  it('falls back to the script origin for a gateway that is not http(s)', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(parseConfig({ gateway: 'javascript:alert(1)' }, { scriptSrc: src }).gateway).toBe(
      'https://chat.example.com',
    );
  });

  it('uses the title, subtitle and greeting of the widget’s language when given (data-greeting-ar)', () => {
    const attrs = {
      title: 'Acme support',
      titleAr: 'دعم أكمي',
      subtitle: 'We answer fast',
      greeting: 'Hi!',
      greetingAr: 'مرحبًا!',
      greetingDe: 'Hallo!',
    };
    expect(parseConfig(attrs, { scriptSrc: src, language: 'ar-EG' })).toMatchObject({
      title: 'دعم أكمي',
      subtitle: 'We answer fast',
      greeting: 'مرحبًا!',
    });
    expect(parseConfig({ ...attrs, locale: 'de' }, { scriptSrc: src, language: 'ar' }).greeting).toBe('Hallo!');
    // A language the widget does not have falls back to English, and so do its texts.
    expect(parseConfig(attrs, { scriptSrc: src, language: 'it' })).toMatchObject({
      title: 'Acme support',
      greeting: 'Hi!',
    });
  });

  it('warns about a text for a language the widget does not have', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(parseConfig({ greeting: 'Hi!', greetingIt: 'Ciao!' }, { scriptSrc: src, language: 'it' }).greeting).toBe(
      'Hi!',
    );
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
      '[parley] data-greeting-it="Ciao!" is for a language the widget does not have; using data-greeting',
    ]);
  });

  it('uses the script nonce when data-nonce is absent', () => {
    expect(parseConfig({}, { scriptSrc: src, scriptNonce: 'n0nce' }).nonce).toBe('n0nce');
  });
});

describe('contrast', () => {
  it('computes WCAG ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('picks a text color that keeps AA contrast on the accent', () => {
    for (const bg of ['#4f46e5', '#fde047', '#0f766e', '#ffffff', '#000', '#f97316', '#22c55e']) {
      expect(contrast(bg, textColorOn(bg))).toBeGreaterThanOrEqual(4.5);
    }
    expect(textColorOn('#fde047')).toBe('#111827');
    expect(textColorOn('#4f46e5')).toBe('#ffffff');
  });
});
