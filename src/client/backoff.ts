/**
 * A reconnect or retry delay with full jitter: random between 0 and an exponential ceiling (`baseMs` doubled per
 * attempt, at most `maxMs`), so many clients refused at once do not come back in step.
 */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 10));
}
