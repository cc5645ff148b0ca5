// The Lighthouse section of BENCHMARKS.md, from a bench/lighthouse.mjs result. Kept apart from the runner so that
// bench/report.mjs can render a saved run without loading Lighthouse.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Median, range and spread of one metric over the runs. The spread is the range of the middle runs (the lowest and the
 * highest dropped from five or more), so that one lucky or unlucky run does not decide the verdict.
 */
function summary(runs, key) {
  const xs = runs
    .map((r) => r[key])
    .filter((v) => typeof v === 'number')
    .sort((a, b) => a - b);
  if (!xs.length) return null;
  const middle = xs.length >= 5 ? xs.slice(1, -1) : xs;
  return { median: median(xs), min: xs[0], max: xs.at(-1), spread: middle.at(-1) - middle[0] };
}

/**
 * One way of embedding the widget (`with`: the script tag; `snippet`: the after-load snippet) against the page without
 * it. Pass when the medians differ by no more than the larger of the two spreads.
 */
export function compare(result, key, embed = 'with') {
  const withWidget = summary(result[embed] ?? [], key);
  const without = summary(result.without, key);
  if (!withWidget || !without) return null;
  const difference = withWidget.median - without.median;
  return { with: withWidget, without, difference, pass: difference <= Math.max(withWidget.spread, without.spread) };
}

const CONTEXT = new Set(['simulated FCP', 'observed LCP (unthrottled load)']);
const msOf = (v) => `${Math.round(v)} ms`;
const signed = (d) => `${d >= 0 ? '+' : '−'}${msOf(Math.abs(d))}`;
const cell = (s) => `${msOf(s.median)} (${msOf(s.min)}–${msOf(s.max)})`;

/** The BENCHMARKS.md section for a `runLighthouse` result (or why there is none). */
export function renderLighthouse(result) {
  const out = ['## Lighthouse: what site owners see', ''];
  if (!result || result.error || !result.with?.length) {
    out.push(`_Not measured in this run${result?.error ? ` (${result.error})` : ''}._`, '');
    return out.join('\n');
  }
  const metrics = [
    ['simulated LCP', 'lcp'],
    ['TBT', 'tbt'],
    ['simulated FCP', 'fcp'],
    ['observed LCP (unthrottled load)', 'observedLcp'],
  ];
  // Runs saved before the after-load snippet was measured have no `snippet` runs: their table keeps its old columns.
  const embeds = result.snippet?.length ? ['with', 'snippet'] : ['with'];
  const rows = metrics
    .map(([name, key]) => [name, embeds.map((embed) => compare(result, key, embed))])
    .filter(([, cs]) => cs.every(Boolean));
  const verdict = (name, c) => (CONTEXT.has(name) ? 'for context' : c.pass ? 'pass' : '**miss**');
  const heads = { with: 'script tag', snippet: 'after-load snippet' };
  out.push(
    `Lighthouse ${result.lighthouse} (\`lighthouse\` package, mobile defaults: simulated throttling, 4× CPU slowdown) in Chromium ${result.chromium} (\`/usr/bin/chromium\`, headless), ${result.runs} runs per page, alternating, each in a fresh browser. ` +
      `The demo page served on 127.0.0.1, with its \`parley.js\` script tag${embeds.length > 1 ? ', with the after-load snippet in its place (README, "Put it on your site": the same script and data-* attributes, inserted after the page’s load and first paint)' : ''} and without it (otherwise the same bytes; every page declares an empty favicon, since Chromium’s \`/favicon.ico\` request ends before or after the observed LCP by chance and moved every page’s simulated LCP by about 150 ms), for a first-time visitor who does not open the chat. ` +
      'Median, with the range of the runs in parentheses. Goal: no difference beyond the runs’ own spread: the medians differ by no more than the larger of the two pages’ spreads (the range of their runs without the lowest and the highest).',
    '',
    `| metric | ${embeds.map((e) => `with the ${heads[e]}`).join(' | ')} | without | ${embeds.map((e) => `${heads[e]}: difference of medians | goal`).join(' | ')} |`,
    `| --- | ${embeds.map(() => '--- | --- | ---').join(' | ')} | --- |`,
    ...rows.map(
      ([name, cs]) =>
        `| ${name} | ${cs.map((c) => cell(c.with)).join(' | ')} | ${cell(cs[0].without)} | ${cs.map((c) => `${signed(c.difference)} | ${verdict(name, c)}`).join(' | ')} |`,
    ),
    '',
  );
  const control = summary(result.control ?? [], 'lcp');
  if (control)
    out.push(
      `Control: the same page with an empty async script in place of \`parley.js\` (what any script tag costs in this simulation): simulated LCP ${cell(control)}, ${signed(control.median - summary(result.without, 'lcp').median)} against the page without it.`,
      '',
    );
  if (!compare(result, 'lcp').pass) out.push(LCP_LIMIT, '');
  if (embeds.length > 1 && compare(result, 'lcp', 'snippet').pass) out.push(SNIPPET_PASS, '');
  return out.join('\n');
}

/** What limits the simulated LCP when it misses (see the trace of a run). */
const LCP_LIMIT =
  "What limits it: Lighthouse's simulation (Lantern) puts in the LCP's dependency graph every request that finished, " +
  'and every script evaluated, before the LCP it observed in its own unthrottled load. On 127.0.0.1 the async ' +
  '`parley.js` arrives and is evaluated (a few milliseconds: the launcher is built only after `load`) before the ' +
  "page's first frame is presented, so its request is charged to the LCP at simulated slow-4G speed, whatever the " +
  'script does; compare the control above.';

/** Why the after-load snippet is not charged, when it passes. */
const SNIPPET_PASS =
  'The after-load snippet inserts `parley.js` only once the page has loaded and its first paint has been reported ' +
  '(the paint timing entry comes after the frame is on screen), so its request ends after the observed LCP and the ' +
  'simulation leaves it out of the LCP’s graph.';
