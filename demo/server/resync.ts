import { randomBytes } from 'node:crypto';
import type { GatewayContext } from './handler-context';
import type { Logger } from './log';
import type { RedisClients } from './redis';
import { RECONNECT_MAX_MS } from './redis-reconnect';

/**
 * Redis pub/sub keeps nothing: a broadcast published while the publisher's connection is down, or while a receiver's
 * subscription is down (a Redis restart drops both, and the subscriptions come back one client at a time), reaches
 * nobody. Every message is stored before it is broadcast, so the cure is a catch-up by sequence number: after such a
 * gap, each connected client is told to fetch what it is missing (`resync`).
 *
 * - This process's subscriber is ready again (node-redis emits `ready` once it has subscribed again): whatever was
 *   published to it meanwhile is lost, so its own clients catch up.
 * - Its publisher is ready again: what it published meanwhile may be lost for every other process, so it says so on
 *   `<prefix>:resync`, and each process that hears it has its own clients catch up.
 *
 * Either way the catch-up reads the store after the connection is back, so a message is either in what it reads or
 * published after the subscription was in place; clients merge by seq, so one received both ways shows once.
 */
export interface GapWatch {
  /** Stops listening (the clients close with the gateway's Redis connections). */
  close(): void;
}

export interface GapWatchOptions {
  redis: RedisClients;
  prefix: string;
  logger: Logger;
  /**
   * Tells this process's clients to catch up: once `quietMs` after the last trigger, or `maxWaitMs` after the first.
   * A restart brings every process's two connections back one by one, each a trigger here (its own subscriber, and
   * every process's publisher): each client would otherwise catch up once per trigger.
   */
  resync(): void;
  /** Default 250 ms. */
  quietMs?: number;
  /** Default `RECONNECT_MAX_MS` (2 s): processes cut off together are back within one retry delay of each other. */
  maxWaitMs?: number;
}

export async function watchRedisGaps(options: GapWatchOptions): Promise<GapWatch> {
  const { redis, logger } = options;
  const channel = `${options.prefix}:resync`;
  const id = randomBytes(8).toString('hex');
  const quietMs = options.quietMs ?? 250;
  const maxWaitMs = options.maxWaitMs ?? RECONNECT_MAX_MS;
  let timer: NodeJS.Timeout | undefined;
  /** When the first trigger not yet acted upon came, and why. */
  let pending: { since: number; why: string } | undefined;
  let closed = false;

  const run = () => {
    timer = undefined;
    logger.info('redis broadcasts may have been lost: clients catch up by seq', { why: pending?.why });
    pending = undefined;
    try {
      options.resync();
    } catch (err) {
      logger.error('resync failed', { err });
    }
  };
  const schedule = (why: string) => {
    if (closed) return;
    pending ??= { since: Date.now(), why };
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(quietMs, pending.since + maxWaitMs - Date.now())));
  };
  const onNotice = (from: string) => {
    if (from !== id) schedule('another process was cut off from redis');
  };
  const onSubReady = () => schedule('this process was cut off from redis');
  const onPubReady = () => {
    redis.pub.publish(channel, id).catch((err: unknown) => {
      // Cut off again already: the next `ready` says it again.
      logger.warn('redis: could not ask the other processes to resync', { err });
    });
  };

  await redis.sub.subscribe(channel, onNotice);
  redis.sub.on('ready', onSubReady);
  redis.pub.on('ready', onPubReady);
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      redis.sub.off('ready', onSubReady);
      redis.pub.off('ready', onPubReady);
    },
  };
}

/**
 * Sends `resync` to this process's sockets, agents first, `perTick` sockets every `tickMs`: each answers with one
 * catch-up read, and ten thousand of them at once would queue every send behind them in the store's pool.
 */
export function resyncLocalClients(ctx: GatewayContext, perTick = 250, tickMs = 25): void {
  // Each as a function, as the two namespaces' sockets type their events apart.
  const tell = [
    ...[...ctx.agents.sockets.values()].map((socket) => () => socket.connected && socket.emit('resync')),
    ...[...ctx.visitors.sockets.values()].map((socket) => () => socket.connected && socket.emit('resync')),
  ];
  const next = (from: number) => {
    if (ctx.closing) return;
    for (const emit of tell.slice(from, from + perTick)) emit();
    if (from + perTick < tell.length) setTimeout(() => next(from + perTick), tickMs).unref();
  };
  next(0);
}
