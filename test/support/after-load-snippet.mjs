// The "after load" embed, the alternative to the script tag for site owners who watch their Lighthouse / PageSpeed
// score: an inline script that queues API calls at once and inserts the same parley.js, with the same data-*
// attributes, only after the page's `load` event. Written once here, so that the README's copy (checked by
// test/unit/build/snippet.test.ts), the end-to-end test (test/e2e/after-load.test.ts) and the Lighthouse bench
// (bench/lighthouse.mjs) are the same text. Plain JavaScript: the benchmarks cannot import TypeScript.

/** The queue stub of the README ("Calls before the script has loaded"), which src/web.ts replays. */
const STUB =
  'window.Parley=window.Parley||{q:[]};["open","close","toggle","send","identify","on","shutdown","destroy"].forEach(function(m){Parley[m]=Parley[m]||function(){Parley.q.push([m,arguments])}});';

/** A JavaScript string literal that cannot close the inline `<script>` it sits in. */
const literal = (value) => JSON.stringify(String(value)).replace(/</g, '\\u003c');

/**
 * The snippet for `src` (parley.js's URL) and the attributes of the equivalent script tag, named without `data-`
 * (`{ site: 'acme', 'user-token': '…' }`). It inserts the script after the page's `load` and its first paint: the paint
 * timing entry is reported once the frame is on screen, whereas a request started right at `load` can still end
 * before the page's LCP on a fast page, and Lighthouse then charges it to the LCP. Without a paint entry (a tab loaded
 * in the background, a browser without paint timing) it goes on after a second. When the page has already loaded (a
 * tag manager inserting the snippet late), it starts at once.
 */
export function afterLoadSnippet(src, attrs) {
  const data = Object.entries(attrs).map(([name, value]) => `    ${literal(`data-${name}`)}: ${literal(value)}`);
  return [
    '<script>',
    STUB,
    '(function () {',
    '  var s = document.createElement("script");',
    `  s.src = ${literal(src)};`,
    '  var attrs = {',
    data.join(',\n'),
    '  };',
    '  for (var name in attrs) s.setAttribute(name, attrs[name]);',
    '  // After the page has loaded and painted, so that Lighthouse does not count parley.js in the LCP.',
    '  function load() { if (!s.parentNode) document.body.appendChild(s); }',
    '  function afterPaint() {',
    '    setTimeout(load, 1000);',
    '    try { new PerformanceObserver(load).observe({ type: "paint", buffered: true }); } catch (e) { load(); }',
    '  }',
    '  if (document.readyState === "complete") afterPaint();',
    '  else addEventListener("load", afterPaint);',
    '})();',
    '</script>',
  ]
    .filter(Boolean)
    .join('\n');
}
