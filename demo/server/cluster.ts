import { createAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import { type ClusterPresence, createClusterPresence } from './cluster-presence';
import type { Logger } from './log';
import { connectRedis, forAdapter } from './redis';
import { watchRedisGaps } from './resync';

/**
 * Several gateway processes behind one PostgreSQL database, joined through Redis: Socket.IO's Redis adapter carries
 * every room broadcast to the other processes, presence is shared (cluster-presence.ts), and broadcasts lost while
 * Redis was away are caught up by seq (resync.ts). The gateway imports this module only when `REDIS_URL` is set, so a
 * single SQLite process never loads the Redis packages (and does not need them installed).
 */
export interface Cluster {
  /** Socket.IO's adapter: every room broadcast (conversation rooms, the agents room) reaches every process. */
  adapter: NonNullable<ServerOptions['adapter']>;
  presence: ClusterPresence;
  /** Starts presence and the gap watch; on failure closes the Redis connections and throws. */
  start(): Promise<void>;
  /** Stops the gap watch, tells the other processes this one is gone, closes the Redis connections. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  /** Prefix of Parley's Redis keys and channels. */
  prefix: string;
  logger: Logger;
  agentNames: readonly string[];
  heartbeatMs?: number;
  /** Another process changed the merged agents view: re-broadcast it to this process's sockets. */
  onAgentsChanged(): void;
  /** Conversations lost their last visitor with another process: push their summaries to this process's agents. */
  onVisitorsGone(conversationIds: string[]): void;
  /** Broadcasts may have been lost: this process's clients catch up (`resyncLocalClients`). */
  resync(): void;
}

/** Connects to Redis (a wrong `REDIS_URL` throws here); nothing is published until `start()`. */
export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const { prefix, logger } = options;
  const redis = await connectRedis(options.redisUrl, logger);
  const presence = createClusterPresence({
    agentNames: options.agentNames,
    pub: redis.pub,
    sub: redis.sub,
    prefix,
    logger,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    onAgentsChanged: options.onAgentsChanged,
    onVisitorsGone: options.onVisitorsGone,
  });
  let gaps: { close(): void } | undefined;
  return {
    adapter: createAdapter(forAdapter(redis.pub, logger), redis.sub, { key: `${prefix}:io` }),
    presence,
    start: async () => {
      try {
        await presence.start();
        gaps = await watchRedisGaps({ redis, prefix, logger, resync: options.resync });
      } catch (err) {
        await presence.close();
        await redis.close();
        throw new Error(`cannot start Redis presence: ${(err as Error).message}`);
      }
    },
    close: async () => {
      gaps?.close();
      // Tell the other processes at once rather than letting this one's presence expire.
      await presence.close();
      await redis.close();
    },
  };
}
