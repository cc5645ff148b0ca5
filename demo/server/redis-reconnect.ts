/**
 * Longest wait between two reconnection attempts to Redis: processes cut off together are back within this of each
 * other. Its own module so that resync and cluster presence can use it without importing the Redis client, which a
 * SQLite-only gateway never loads (see store/open.ts and gateway.ts).
 */
export const RECONNECT_MAX_MS = 2000;
