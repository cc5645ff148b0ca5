/** Path of the lazily loaded app chunk relative to parley.js, injected by build.mjs (empty in the ESM build). */
declare const __PARLEY_APP_CHUNK__: string;
/** package.json version, injected by build.mjs. */
declare const __PARLEY_VERSION__: string;

declare module '*.css' {
  const css: string;
  export default css;
}
