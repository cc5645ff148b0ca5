import { playChime } from '../../src/client/chime.js';

const BASE_TITLE = 'Parley — agent console';

/** "(3) Parley — agent console" while visitor messages are unread. */
export function titleFor(unread: number): string {
  return unread > 0 ? `(${unread}) ${BASE_TITLE}` : BASE_TITLE;
}

let audio: AudioContext | null = null;
let lastBeep = 0;

/**
 * Browsers only let an AudioContext start from a user gesture, so it is created on the first click or key press
 * and reused for every later beep. Returns the cleanup.
 */
export function unlockAudioOnGesture(): () => void {
  const unlock = () => {
    try {
      audio ??= new AudioContext();
      if (audio.state === 'suspended') void audio.resume();
    } catch {
      // No WebAudio: the console stays silent.
    }
  };
  const opts = { capture: true, passive: true };
  window.addEventListener('pointerdown', unlock, opts);
  window.addEventListener('keydown', unlock, opts);
  return () => {
    window.removeEventListener('pointerdown', unlock, opts);
    window.removeEventListener('keydown', unlock, opts);
  };
}

/** The shared chime (src/client/chime.ts), softer; at most one per second however many messages arrive. */
export function beep(): void {
  const ctx = audio;
  const now = Date.now();
  if (ctx?.state !== 'running' || now - lastBeep < 1000) return;
  lastBeep = now;
  playChime(ctx, 0.08);
}
