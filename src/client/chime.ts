/**
 * The notification chime of both clients: two short notes (880 Hz, then 1320 Hz) made with WebAudio on `ctx`, so
 * there is no audio file to download. `peak` is the loudest gain.
 */
export function playChime(ctx: AudioContext, peak = 0.15): void {
  const t = ctx.currentTime;
  for (const [i, freq] of [880, 1320].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + i * 0.12);
    gain.gain.exponentialRampToValueAtTime(peak, t + i * 0.12 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t + i * 0.12);
    osc.stop(t + i * 0.12 + 0.3);
  }
}
