import { LIMITS } from '../protocol';

/**
 * The typing throttle of both clients: call it with `true` on every edit and `false` when typing stops (sent, cleared,
 * left). It emits `typing: true` at most once per `throttleMs`, and `typing: false` once, only after a `true`.
 */
export function typingThrottle(
  emit: (typing: boolean) => void,
  throttleMs: number = LIMITS.typingThrottleMs,
  now: () => number = Date.now,
): (active: boolean) => void {
  // When the last `typing: true` went out; -Infinity while stopped.
  let last = -1 / 0;
  return (active) => {
    const t = now();
    if (active ? t - last < throttleMs : last < 0) return;
    last = active ? t : -1 / 0;
    emit(active);
  };
}
