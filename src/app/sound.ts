import { playChime } from '../client/chime';

let ctx: AudioContext | undefined;

/**
 * The widget's chime (see src/client/chime.ts). Browsers block audio before the visitor has interacted with the page;
 * then this silently does nothing.
 */
export function chime(): void {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    playChime(ctx);
  } catch {}
}
