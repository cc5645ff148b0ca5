// Small numeric helpers shared by the generator and the report.

/** A growable list of float samples (milliseconds). */
export class Samples {
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
    this.length = 0;
  }
  push(x) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
  /** { n, p50, p90, p99, p999, max, mean } (nearest-rank percentiles); zeros when empty. */
  summary() {
    return summarize(this.data.subarray(0, this.length));
  }
}

export function summarize(values) {
  const n = values.length;
  if (n === 0) return { n: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const rank = (p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    p50: rank(0.5),
    p90: rank(0.9),
    p99: rank(0.99),
    p999: rank(0.999),
    max: sorted[n - 1],
    mean: sum / n,
  };
}

/** Time at which `fraction` of `total` items had reached a state, from the times of those that did; null if never. */
export function timeToFraction(times, total, fraction) {
  const need = Math.ceil(fraction * total);
  if (times.length < need || need === 0) return null;
  const sorted = Float64Array.from(times).sort();
  return sorted[need - 1];
}
