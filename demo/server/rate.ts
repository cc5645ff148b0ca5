/** Token bucket: `burst` events at once, refilled at `perSecond`. Returns false when the event must be refused. */
export function createBucket(burst: number, perSecond: number, now: () => number = performance.now.bind(performance)) {
  let tokens = burst;
  let last = now();
  return (): boolean => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
