import { typingThrottle } from '../../src/client/typing.js';

export interface TypingSender {
  /** Call on every edit of the reply; an empty reply counts as stopping. */
  input(hasText: boolean): void;
  /** Sends `typing: false` if `typing: true` was the last thing sent (on send, clear, blur, leaving the conversation). */
  stop(): void;
}

/** The console's face of the shared typing throttle (src/client/typing.ts). */
export function createTypingSender(
  emit: (typing: boolean) => void,
  throttleMs?: number,
  now?: () => number,
): TypingSender {
  const send = typingThrottle(emit, throttleMs, now);
  return { input: send, stop: () => send(false) };
}
