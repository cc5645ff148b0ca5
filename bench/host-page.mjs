// What the widget costs the page that embeds it, measured in Chromium: main-thread time of the tasks that run the
// widget's scripts (read from a Chrome trace, attributed by script URL as Lighthouse's bootup-time does), the longest
// such task, layout shift, and whole-page task time with and without the widget. Median of several fresh loads, at
// normal speed and with 4x CPU throttling. Used by bench/run.mjs; `node bench/host-page.mjs` prints the section.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/support/chromium.mjs';
import { startGateway } from './gateway.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const LOADS = 7;
const BUDGET = { mainThreadMs: 20, longTaskMs: 50, layoutShift: 0 };
const SCRIPT_EVENTS = new Set([
  'EvaluateScript',
  'v8.compile',
  'v8.compileModule',
  'v8.evaluateModule',
  'FunctionCall',
  'v8.run',
]);

/** The built gateway with a database of its own, removed on stop. */
async function startHostGateway() {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-hostpage-'));
  const server = await startGateway({ port: 0, dbPath: path.join(dir, 'db') });
  return {
    url: server.url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Main-thread tasks (RunTask) that ran one of the widget's scripts, from a trace. */
function widgetTasks(trace) {
  const events = trace.traceEvents ?? trace;
  const mainThread = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!mainThread) return [];
  const onMain = events.filter((e) => e.pid === mainThread.pid && e.tid === mainThread.tid);
  // Script execution only: the HTML parser's task also names parley.js (it discovers and fetches it), but does not
  // run it.
  const ours = (e) => {
    if (!SCRIPT_EVENTS.has(e.name)) return false;
    const url = e.args?.data?.url ?? e.args?.data?.scriptName ?? e.args?.fileName ?? '';
    return typeof url === 'string' && (/\/parley\.js(\?|$)/.test(url) || url.includes('/chunks/'));
  };
  const marks = onMain.filter(ours);
  return onMain
    .filter((e) => e.name === 'RunTask' && e.ph === 'X')
    .filter((task) => marks.some((m) => m.ts >= task.ts && m.ts <= task.ts + task.dur))
    .map((task) => task.dur / 1000);
}

async function measureOnce(browser, url, { withWidget, throttle }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (!withWidget) await page.route('**/parley.js', (r) => r.abort());
  await page.addInitScript(() => {
    // The frame in which the launcher is first drawn: the first animation frame after <parley-chat> is inserted.
    new MutationObserver((_, observer) => {
      if (!document.querySelector('parley-chat')) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        window.__launcherAt = performance.now();
      });
    }).observe(document, { childList: true, subtree: true });
    window.__shifts = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'toplevel'],
  });
  await page.goto(url, { waitUntil: 'load' });
  // Let idle-time work (there should be none for a first-time visitor) and any late layout happen.
  await page.waitForTimeout(1500);
  const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
  const { metrics } = await cdp.send('Performance.getMetrics');
  const taskDuration = metrics.find((m) => m.name === 'TaskDuration').value * 1000;
  const shifts = await page.evaluate(() => window.__shifts);
  const hasWidget = await page.evaluate(() => !!document.querySelector('parley-chat'));
  const launcherDelay = await page.evaluate(() =>
    window.__launcherAt === undefined
      ? null
      : window.__launcherAt - performance.getEntriesByType('navigation')[0].loadEventStart,
  );
  await context.close();
  const tasks = widgetTasks(trace);
  return {
    widgetMs: tasks.reduce((a, b) => a + b, 0),
    longestMs: Math.max(0, ...tasks),
    taskDuration,
    shifts,
    hasWidget,
    launcherDelay,
  };
}

async function measure(browser, url, options) {
  const runs = [];
  for (let i = 0; i < LOADS; i++) runs.push(await measureOnce(browser, url, options));
  return runs;
}

export async function run() {
  const loadBefore = loadavg()[0].toFixed(2);
  const gateway = await startHostGateway();
  const browser = await launchBrowser();
  const rows = [];
  const version = browser.version();
  try {
    for (const throttle of [1, 4]) {
      const withWidget = await measure(browser, `${gateway.url}/`, { withWidget: true, throttle });
      const without = await measure(browser, `${gateway.url}/`, { withWidget: false, throttle });
      if (!withWidget.every((r) => r.hasWidget) || without.some((r) => r.hasWidget))
        throw new Error('the page with/without the widget did not load as expected');
      rows.push({
        throttle,
        widgetMs: median(withWidget.map((r) => r.widgetMs)),
        longestMs: Math.max(...withWidget.map((r) => r.longestMs)),
        longestMedianMs: median(withWidget.map((r) => r.longestMs)),
        launcherMs: median(withWidget.map((r) => r.launcherDelay)),
        launcherWorstMs: Math.max(...withWidget.map((r) => r.launcherDelay)),
        pageWith: median(withWidget.map((r) => r.taskDuration)),
        pageWithout: median(without.map((r) => r.taskDuration)),
        shifts: Math.max(...withWidget.map((r) => r.shifts)),
      });
    }
  } finally {
    await browser.close();
    await gateway.stop();
  }
  const sizes = widgetSizes();
  const ok = (pass) => (pass ? 'pass' : '**miss**');
  const fmt = (n) => n.toFixed(1);
  const lines = [
    '## Host page: what the widget costs a page that embeds it',
    '',
    `Demo page (\`/\`), a first-time visitor who does not open the chat; ${LOADS} fresh loads per condition (new browser context each, empty cache), median unless noted. Chromium ${version} headless.`,
    '"Widget main-thread time" is the duration of the renderer main-thread tasks that ran the widget\'s scripts, read from a Chrome trace (the same attribution by script URL as Lighthouse\'s bootup-time). Whole-page task time (`Performance.getMetrics` TaskDuration) is shown with and without the widget for context: on this machine it varies by tens of milliseconds between identical loads, so it is not the budget figure.',
    '',
    'The launcher is built after the page\'s `load` event, when the browser is idle (src/loader/boot.ts); "launcher shown after load" is the time from `loadEventStart` to the first animation frame after `<parley-chat>` is inserted, as the page sees it.',
    '',
    '| CPU | widget main-thread time (goal ≤ 20 ms) | longest widget task, worst load (median) (goal ≤ 50 ms) | launcher shown after load, median (worst) | layout shift, worst load (goal 0) | page task time with / without widget |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.throttle === 1 ? 'normal' : `${r.throttle}× throttled`} | ${fmt(r.widgetMs)} ms${r.throttle === 1 ? ` (${ok(r.widgetMs <= BUDGET.mainThreadMs)})` : ''} | ${fmt(r.longestMs)} ms (${fmt(r.longestMedianMs)} ms) (${ok(r.longestMs <= BUDGET.longTaskMs)}) | ${fmt(r.launcherMs)} ms (${fmt(r.launcherWorstMs)} ms) | ${r.shifts.toFixed(4)} (${ok(r.shifts <= BUDGET.layoutShift)}) | ${fmt(r.pageWith)} / ${fmt(r.pageWithout)} ms |`,
    ),
    '',
    `The 20 ms budget applies at normal speed; the 50 ms long-task goal applies to both rows, the 4× throttled one (a slow phone) included. One-minute load average before / after this section: ${loadBefore} / ${loadavg()[0].toFixed(2)} (other work on the machine lengthens the tasks).`,
    '',
    '### Bytes (gzip as served; brotli in parentheses)',
    '',
    '| what | size | budget |',
    '| --- | --- | --- |',
    `| first load: \`parley.js\` | ${sizes.first.gz} B (${sizes.first.br} B) | 8,192 B |`,
    `| whole widget: parley.js, app chunk and one language | ${sizes.total.gz} B (${sizes.total.br} B) | 25,600 B |`,
    '',
    'A visitor who never opens the chat downloads only `parley.js`; the rest loads when the chat is opened, the page calls the API, or a returning visitor has a conversation or queued messages (then after the load event, when the browser is idle).',
    '',
  ];
  return lines.join('\n');
}

/** Sizes of the precompressed files the gateway serves (written by build.mjs). */
function widgetSizes() {
  const dist = path.join(root, 'dist');
  const size = (file, ext) => readFileSync(path.join(dist, `${file}.${ext}`)).length;
  const chunks = readFileSync(path.join(dist, 'parley.js'), 'utf8').match(/chunks\/app-[\w]+\.js/)?.[0];
  const app = { gz: size(chunks, 'gz'), br: size(chunks, 'br') };
  const langs = readdirSync(path.join(dist, 'chunks')).filter((f) => /^panel-[\w-]+\.js$/.test(f));
  const shared = readdirSync(path.join(dist, 'chunks')).filter((f) => /^chunk-\w+\.js$/.test(f));
  const maxOf = (ext) => Math.max(...langs.map((f) => size(`chunks/${f}`, ext)));
  const sumOf = (ext) => shared.reduce((s, f) => s + size(`chunks/${f}`, ext), 0);
  const first = { gz: size('parley.js', 'gz'), br: size('parley.js', 'br') };
  return {
    first,
    total: { gz: first.gz + app.gz + maxOf('gz') + sumOf('gz'), br: first.br + app.br + maxOf('br') + sumOf('br') },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await run());
}
