import { randomUUID } from 'node:crypto';

// Message ids are the primary key of the largest table. Random (v4) UUIDs land anywhere in its index, so every insert
// dirties another page of it and every commit writes more of the index to the WAL; UUIDv7 (RFC 9562) starts with
// the time in milliseconds, so new ids append at the index's right edge. Still a UUID to every reader, still
// unguessable in its 74 random bits.

/**
 * A UUIDv7: 48-bit Unix milliseconds, version 7, then the 74 random bits (and variant) of a v4 UUID from Node's own
 * buffered generator: a v4's characters after its version digit are exactly a v7's `rand_a`, variant and `rand_b`.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
}
