import { useEffect, useState } from 'preact/hooks';
import type { StateHolder } from './state.js';

/** The holder's current state; re-renders on every change (Preact batches several changes into one render). */
export function useHeldState<S>(holder: StateHolder<S>): S {
  const [state, setState] = useState(holder.get);
  useEffect(() => {
    setState(holder.get);
    return holder.subscribe(() => setState(holder.get));
  }, [holder]);
  return state;
}

/** `Date.now()`, refreshed every `intervalMs`, so relative times stay true without a render per second. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Whether a media query matches, kept live. */
export function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const mql = matchMedia(query);
    const onChange = () => setMatches(mql.matches);
    onChange();
    mql.addEventListener('change', onChange);
    return () => mql.removeEventListener('change', onChange);
  }, [query]);
  return matches;
}
