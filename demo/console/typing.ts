import { LIMITS } from '../../src/protocol.js';

export interface TypingSender {
  /** Call on every edit of the reply; an empty reply counts as stopping. */
  input(hasText: boolean): void;
  /** Sends `typing: false` if `typing: true` was the last thing sent (on send, clear, blur, leaving the conversation). */
  stop(): void;
}

/** Emits `typing: true` at most once per `throttleMs` while the agent keeps typing, and one `typing: false` when they stop. */
export function createTypingSender(
  emit: (typing: boolean) => void,
  throttleMs: number = LIMITS.typingThrottleMs,
  now: () => number = Date.now,
): TypingSender {
  let lastTrue = Number.NEGATIVE_INFINITY;
  let active = false;
  const stop = () => {
    if (!active) return;
    active = false;
    lastTrue = Number.NEGATIVE_INFINITY;
    emit(false);
  };
  return {
    input(hasText) {
      if (!hasText) return stop();
      const t = now();
      if (t - lastTrue < throttleMs) return;
      lastTrue = t;
      active = true;
      emit(true);
    },
    stop,
  };
}
