// @vitest-environment node
// Pure text helpers of the console tools: canned reply fields, search terms and snippets.
import { describe, expect, it } from 'vitest';
import { slashQuery } from '../../../demo/console/components/canned-picker';
import { ftsQuery, searchTerms, snippet, tsQuery } from '../../../demo/server/store/search';
import { fillCannedReply, unknownCannedFields } from '../../../src/canned-fields';
import { SEARCH } from '../../../src/protocol';

describe('canned reply fields', () => {
  it('fills whitelisted fields, falls back after |, and leaves anything else as typed', () => {
    const values = { 'visitor.name': 'Kim', 'agent.name': 'Ana', site: 'acme' };
    expect(fillCannedReply('Hi {{visitor.name|there}}, {{ agent.name }} from {{site}}', values)).toBe(
      'Hi Kim, Ana from acme',
    );
    expect(fillCannedReply('Hi {{visitor.name|there}}! {{visitor.email}}.', {})).toBe('Hi there! .');
    expect(
      fillCannedReply('{{constructor}} {{__proto__}} <b>{{visitor.name}}</b>', { 'visitor.name': '<i>x</i>' }),
    ).toBe('{{constructor}} {{__proto__}} <b><i>x</i></b>');
    expect(unknownCannedFields('{{visitor.name}} {{visitor.nmae|x}} {{site}}')).toEqual(['visitor.nmae']);
  });

  it('opens the / list only for a slash command at the start of the box', () => {
    expect(slashQuery('/')).toBe('');
    expect(slashQuery('/Ref')).toBe('ref');
    expect(slashQuery('/ref now')).toBeNull();
    expect(slashQuery('a /ref')).toBeNull();
  });
});

describe('search terms', () => {
  it('keeps letters and digits only, so no query is full-text syntax', () => {
    expect(searchTerms('  "Parcel" OR near(x*) ')).toEqual({
      words: ['parcel', 'or', 'near', 'x'],
      needle: '"parcel" or near(x*)',
    });
    expect(searchTerms('"*:()&|!')).toBeUndefined();
    expect(ftsQuery(searchTerms('café 42')!)).toBe('"café"* "42"*');
    expect(tsQuery(searchTerms("o'brien")!)).toBe('o:* & brien:*');
    expect(searchTerms(Array.from({ length: 20 }, (_, i) => `w${i}`).join(' '))!.words).toHaveLength(SEARCH.maxWords);
  });

  it('cuts a snippet around the first match and gives offsets inside it', () => {
    const text = `${'lorem '.repeat(60)}the Zèbra is here ${'ipsum '.repeat(60)}`;
    const cut = snippet(text, searchTerms('zebra')!);
    expect(cut.snippet.startsWith('…')).toBe(true);
    expect(cut.snippet.endsWith('…')).toBe(true);
    expect(cut.snippet.length).toBeLessThanOrEqual(SEARCH.snippetLength + 2);
    expect(cut.matches.map(([a, b]) => cut.snippet.slice(a, b))).toEqual(['Zèbra']);
    const short = snippet('ana@example.com wrote', searchTerms('example.c')!);
    expect(short.matches.map(([a, b]) => short.snippet.slice(a, b))).toEqual(['example.c']);
  });
});
