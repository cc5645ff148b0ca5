import type { Fragment as PreactFragment, h as preactH } from 'preact';

/**
 * The JSX factory of the lazy attachment chunk, given by the panel once the chunk is loaded (`useJsx`): the build
 * imports `h` and `Fragment` from here instead of from Preact for src/attachments/*.tsx, so the chunk does not import
 * Preact and esbuild does not split Preact out of the core's chunk into a shared one (about 1 KB gzip).
 */
export let h: typeof preactH;
export let Fragment: typeof PreactFragment;

export function useJsx(factory: typeof preactH, fragment: typeof PreactFragment): void {
  h = factory;
  Fragment = fragment;
}
