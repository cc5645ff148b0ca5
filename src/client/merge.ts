/**
 * Merges messages into a list held sorted by `seq`: each `seq` once (the held copy wins), the result in `seq` order.
 * Returns the merged list and the messages that were new.
 */
export function mergeBySeq<M extends { seq: number }>(
  held: readonly M[],
  incoming: readonly M[],
): { merged: M[]; fresh: M[] } {
  const bySeq = new Map(held.map((m) => [m.seq, m]));
  const fresh = incoming.filter((m) => !bySeq.has(m.seq) && bySeq.set(m.seq, m));
  return { merged: [...bySeq.values()].sort((a, b) => a.seq - b.seq), fresh };
}
