import { createTabLocks } from '../client/tab-locks';

/**
 * Coordination between the tabs of one site: a named lock (Web Locks API) and a broadcast channel. Both degrade
 * safely where missing: without Web Locks the work simply runs (callers make that safe), without BroadcastChannel
 * tabs still converge through the gateway, only later.
 */
export type TabMessage = { type: 'outbox' } | { type: 'read'; seq: number } | { type: 'identify' };

export function createTabs(site: string) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`parley:${site}`) : undefined;
  // `exclusive` and `once` over the locks named `parley:<site>:<name>`.
  const locks = createTabLocks(`parley:${site}:`);
  return {
    ...locks,
    post(message: TabMessage): void {
      channel?.postMessage(message);
    },
    listen(fn: (message: TabMessage) => void): () => void {
      const onMessage = (e: MessageEvent<TabMessage>) => fn(e.data);
      channel?.addEventListener('message', onMessage);
      return () => channel?.removeEventListener('message', onMessage);
    },
    close(): void {
      locks.release();
      channel?.close();
    },
  };
}

export type Tabs = ReturnType<typeof createTabs>;
