import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { afterLoadSnippet } from '../../support/after-load-snippet.mjs';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

// The README's example tag (PRODUCT.md's), attribute for attribute.
const EXAMPLE = {
  gateway: 'https://chat.example.com',
  site: 'acme',
  title: 'Acme support',
  color: '#4f46e5',
  position: 'right',
  greeting: 'Hi! How can we help?',
  locale: 'en',
  open: 'false',
};

describe('the after-load snippet', () => {
  it('is in the README exactly as the end-to-end test and the Lighthouse bench use it', () => {
    expect(readme).toContain(`\`\`\`html\n${afterLoadSnippet('https://chat.example.com/parley.js', EXAMPLE)}\n\`\`\``);
  });

  it('includes the README’s queue stub, so that calls before load are kept', () => {
    const stub = /```html\n<script>\n(window\.Parley=.*)\n<\/script>\n```/.exec(readme)?.[1];
    expect(stub).toBeTruthy();
    expect(afterLoadSnippet('/parley.js', {}).split('\n')[1]).toBe(stub);
  });

  it('stays a few hundred bytes', () => {
    expect(Buffer.byteLength(afterLoadSnippet('https://chat.example.com/parley.js', {}))).toBeLessThan(900);
  });

  it('cannot be closed early by an attribute value', () => {
    const snippet = afterLoadSnippet('/parley.js', { greeting: '</script><img src=x onerror=alert(1)>' });
    expect(snippet.match(/<\/script>/gi)).toEqual(['</script>']);
    expect(snippet).toContain('"data-greeting": "\\u003c/script>\\u003cimg src=x onerror=alert(1)>"');
  });
});
