import { createClient } from 'redis';
import type { Logger } from './log';
import { redact } from './redact';
import { RECONNECT_MAX_MS } from './redis-reconnect';

type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;
// No offline queue: while Redis is away, commands fail at once instead of piling up in memory for as long as the
// outage lasts. What that loses is broadcasts, and those are caught up by seq once Redis is back (resync.ts).
const newClient = (url: string, socket: ClientOptions['socket']) =>
  createClient({ url, socket, disableOfflineQueue: true });
export type RedisClient = ReturnType<typeof newClient>;

export interface RedisClients {
  /** Commands and publishing (Socket.IO adapter and presence). */
  pub: RedisClient;
  /** Subscriptions (Socket.IO adapter and presence). */
  sub: RedisClient;
  /** Disconnects both; never rejects. */
  close(): Promise<void>;
}

/**
 * Connects the two clients the gateway needs. The first connection must succeed (a wrong `REDIS_URL` stops the start
 * with a clear error); afterwards a lost connection is logged and retried by node-redis, and the gateway keeps serving
 * its own sockets meanwhile.
 */
export async function connectRedis(url: string, logger: Logger, connectTimeoutMs = 5000): Promise<RedisClients> {
  let started = false;
  const socket: ClientOptions['socket'] = {
    connectTimeout: connectTimeoutMs,
    // Before the first connection: fail the start. After: retry every 50 ms more, up to 2 s apart.
    reconnectStrategy: (retries: number, cause: Error) =>
      started ? Math.min(50 * (retries + 1), RECONNECT_MAX_MS) : cause,
  };
  const pub = newClient(url, socket);
  const sub = newClient(url, socket);
  let lastLog = 0;
  const onError = (which: string) => (err: Error) => {
    if (Date.now() - lastLog < 5000) return;
    lastLog = Date.now();
    logger.warn('redis connection error; retrying (fan-out to other processes is paused meanwhile)', {
      client: which,
      err,
    });
  };
  pub.on('error', onError('pub'));
  sub.on('error', onError('sub'));
  pub.on('ready', () => started && logger.info('redis connection ready', { client: 'pub' }));
  sub.on('ready', () => started && logger.info('redis connection ready', { client: 'sub' }));
  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (err) {
    await Promise.allSettled([pub.destroy(), sub.destroy()]);
    throw new Error(`cannot connect to REDIS_URL ${redact(url)}: ${(err as Error).message}`);
  }
  started = true;
  return {
    pub,
    sub,
    close: async () => {
      await Promise.allSettled(
        [pub, sub].map(async (client) => {
          if (!client.isOpen) return;
          // A graceful close waits for pending commands, which wait for Redis: give up after a second.
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), 1000);
          });
          const closed = client.close().then(
            () => 'closed' as const,
            () => 'late' as const,
          );
          if ((await Promise.race([closed, late])) === 'late' && client.isOpen) client.destroy();
          clearTimeout(timer);
        }),
      );
    },
  };
}

/**
 * The client as Socket.IO's Redis adapter should see it: its `publish` calls are fire-and-forget, so one lost with the
 * connection would be an unhandled rejection. Here it is logged (at most every 5 s) and the broadcast, already
 * delivered to this process's own sockets, does not reach the others; their clients catch up by seq when this
 * process's connection is back (resync.ts).
 */
export function forAdapter(client: RedisClient, logger: Logger): RedisClient {
  let lastLog = 0;
  const lost = (err: unknown) => {
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      logger.warn('redis publish failed: a broadcast did not reach the other gateway processes', { err });
    }
    return 0;
  };
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'publish' || prop === 'sPublish' || prop === 'PUBLISH' || prop === 'SPUBLISH') {
        return (...args: unknown[]) => (value as (...a: unknown[]) => Promise<number>).apply(target, args).catch(lost);
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
