import { describe, expect, it } from 'vitest';
import { linkify, safeHttpUrl, safeUrl } from '../../../src/linkify';

describe('linkify', () => {
  it('turns http, https and mailto URLs into links and leaves the rest as text', () => {
    expect(linkify('see https://acme.example/docs?a=1, or mailto:help@acme.example.')).toEqual([
      { type: 'text', text: 'see ' },
      { type: 'link', text: 'https://acme.example/docs?a=1', href: 'https://acme.example/docs?a=1' },
      { type: 'text', text: ', or ' },
      { type: 'link', text: 'mailto:help@acme.example', href: 'mailto:help@acme.example' },
      { type: 'text', text: '.' },
    ]);
  });

  it('never links javascript:, data: or vbscript: URLs', () => {
    for (const text of [
      'javascript:alert(1)',
      'data:text/html,<script>x</script>',
      'vbscript:msgbox',
      'JaVaScRiPt:alert(1)',
    ]) {
      expect(linkify(text).every((t) => t.type === 'text')).toBe(true);
    }
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('mailto:a@b.example')).toBeNull();
    expect(safeHttpUrl('https://acme.example/x')).toBe('https://acme.example/x');
  });

  it('keeps markup as text', () => {
    expect(linkify('<img src=x onerror=alert(1)>')).toEqual([{ type: 'text', text: '<img src=x onerror=alert(1)>' }]);
  });

  it('keeps balanced parentheses and drops the punctuation that ends a sentence', () => {
    expect(linkify('(see https://en.wikipedia.org/wiki/Chat_(software)).')).toEqual([
      { type: 'text', text: '(see ' },
      {
        type: 'link',
        text: 'https://en.wikipedia.org/wiki/Chat_(software)',
        href: 'https://en.wikipedia.org/wiki/Chat_(software)',
      },
      { type: 'text', text: ').' },
    ]);
  });
});
