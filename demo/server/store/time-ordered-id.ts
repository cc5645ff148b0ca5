import { randomFillSync } from 'node:crypto';

// Message ids are the primary key of the largest table. Random (v4) UUIDs land anywhere in its index, so every insert
// dirties another page of it and every commit writes more of the index to the WAL; UUIDv7 (RFC 9562) starts with
// the time in milliseconds, so new ids append at the index's right edge. Still a UUID to every reader, still
// unguessable in its 74 random bits.

const pool = Buffer.alloc(16 * 256);
let next = pool.length;

/** A UUIDv7: 48-bit Unix milliseconds, version 7, 74 random bits, variant 10. */
export function timeOrderedId(now: number = Date.now()): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const b = pool.subarray(next, next + 16);
  next += 16;
  b.writeUIntBE(now, 0, 6);
  b.writeUInt8(0x70 | (b.readUInt8(6) & 0x0f), 6);
  b.writeUInt8(0x80 | (b.readUInt8(8) & 0x3f), 8);
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
