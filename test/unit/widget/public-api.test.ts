// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyApi } from '../../../src/index';
import * as entry from '../../../src/index';

/** The public surface is a contract with site owners and bundler users: changing it must be deliberate. */
describe('public API', () => {
  let api: ParleyApi | undefined;
  afterEach(() => api?.destroy());

  it('the ESM entry exports mount() and nothing else at runtime', () => {
    expect(Object.keys(entry).sort()).toEqual(['mount']);
  });

  it('mount() returns exactly the documented methods', () => {
    api = entry.mount({ site: 'api', gateway: 'https://chat.example.com' });
    expect(Object.keys(api).sort()).toEqual([
      'close',
      'destroy',
      'identify',
      'on',
      'open',
      'send',
      'shutdown',
      'toggle',
      'unreadCount',
    ]);
    for (const key of Object.keys(api)) expect(typeof api[key as keyof ParleyApi]).toBe('function');
  });
});
