// What site owners see in Lighthouse / PageSpeed: Lighthouse (mobile defaults, simulated throttling) on the same small
// page with the widget's script tag, with the after-load snippet instead (test/support/after-load-snippet.mjs) and
// without the widget, several runs each, alternating. Simulated LCP and TBT, median and
// range; the goal is no difference beyond the runs' own spread (bench/lighthouse-report.mjs). Used by bench/run.mjs;
// `node bench/lighthouse.mjs [runs]` prints the section.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { afterLoadSnippet } from '../test/support/after-load-snippet.mjs';
import { CHROMIUM_ARGS, findChromium } from '../test/support/chromium.mjs';
import { renderLighthouse } from './lighthouse-report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// PARLEY_DIST measures another build (as build.mjs writes it), e.g. the widget before a change.
const dist = path.resolve(root, process.env.PARLEY_DIST ?? 'dist');
const RUNS = 5;
const CHROME_FLAGS = ['--headless=new', ...CHROMIUM_ARGS];
const PAGES = {
  with: '/with-widget.html',
  snippet: '/with-after-load-snippet.html',
  without: '/without-widget.html',
  control: '/with-empty-script.html',
};
const LABELS = {
  with: 'script tag',
  snippet: 'after-load snippet',
  without: 'without the widget',
  control: 'empty script (control)',
};
/** The control: an async script that does nothing, in place of parley.js, for what any script tag costs. */
const EMPTY_SCRIPT = '/empty.js';

/**
 * The demo page with its script tag, with the after-load snippet in its place (the same src and data-* attributes),
 * without it, and with an empty script instead: otherwise the same bytes.
 */
function pages() {
  // No favicon request: Chromium asks for /favicon.ico right after `load`, and whether that request ends before or after
  // the observed LCP (a few milliseconds either way) moved every page's simulated LCP by about 150 ms from run to run.
  const html = readFileSync(path.join(root, 'demo/pages/index.html'), 'utf8').replace(
    '</head>',
    '  <link rel="icon" href="data:," />\n  </head>',
  );
  const tag = /\s*<script async src="\/parley\.js"([^>]*)><\/script>/;
  const found = tag.exec(html);
  if (!found) throw new Error('demo/pages/index.html has no parley.js script tag to remove');
  const attrs = Object.fromEntries([...found[1].matchAll(/\bdata-([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
  return {
    [PAGES.with]: html,
    [PAGES.snippet]: html.replace(tag, `\n    ${afterLoadSnippet('/parley.js', attrs).replaceAll('\n', '\n    ')}`),
    [PAGES.without]: html.replace(tag, ''),
    [PAGES.control]: html.replace(tag, `\n    <script async src="${EMPTY_SCRIPT}"></script>`),
  };
}

/** The pages, demo.css and the built widget (precompressed, as the gateway serves it), on 127.0.0.1. */
export async function startSite() {
  const html = pages();
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (html[pathname]) return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html[pathname]);
    if (pathname === EMPTY_SCRIPT) return res.writeHead(200, { 'content-type': 'text/javascript' }).end('/* empty */');
    if (pathname === '/demo.css')
      return res
        .writeHead(200, { 'content-type': 'text/css' })
        .end(readFileSync(path.join(root, 'demo/pages/demo.css')));
    const file = path.join(dist, pathname);
    if ((pathname === '/parley.js' || /^\/chunks\/[\w.-]+\.js$/.test(pathname)) && existsSync(file)) {
      const br = /\bbr\b/.test(req.headers['accept-encoding'] ?? '') && existsSync(`${file}.br`);
      const encoding = br ? 'br' : existsSync(`${file}.gz`) ? 'gzip' : undefined;
      const headers = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' };
      if (encoding) headers['content-encoding'] = encoding;
      return res.writeHead(200, headers).end(readFileSync(encoding ? `${file}.${br ? 'br' : 'gz'}` : file));
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** One Lighthouse run in a fresh Chromium: the performance category with Lighthouse's defaults (mobile, simulated). */
async function audit(url) {
  const chrome = await chromeLauncher.launch({ chromePath: findChromium(), chromeFlags: CHROME_FLAGS });
  try {
    const { lhr } = await lighthouse(url, { port: chrome.port, logLevel: 'error', onlyCategories: ['performance'] });
    if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    return {
      lcp: lhr.audits['largest-contentful-paint'].numericValue,
      tbt: lhr.audits['total-blocking-time'].numericValue,
      fcp: lhr.audits['first-contentful-paint'].numericValue,
      // What the simulation starts from: the unthrottled load's own LCP and load event.
      observedLcp: lhr.audits.metrics?.details?.items?.[0]?.observedLargestContentfulPaint ?? null,
      observedLoad: lhr.audits.metrics?.details?.items?.[0]?.observedLoad ?? null,
      score: lhr.categories.performance.score,
      lighthouse: lhr.lighthouseVersion,
      chromium: lhr.environment?.hostUserAgent?.match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown',
    };
  } finally {
    await chrome.kill();
  }
}

/** RUNS audits of each page, alternating, so that a change in the machine's load affects them all alike. */
export async function runLighthouse({ runs = RUNS, log = () => {} } = {}) {
  process.env.CHROME_PATH ??= findChromium();
  const site = await startSite();
  const result = { runs, with: [], snippet: [], without: [], control: [] };
  try {
    for (let i = 0; i < runs; i++) {
      for (const which of ['with', 'snippet', 'without', 'control']) {
        const r = await audit(`${site.url}${PAGES[which]}`);
        result[which].push(r);
        result.lighthouse = r.lighthouse;
        result.chromium = r.chromium;
        log(
          `lighthouse ${LABELS[which]}, run ${i + 1}/${runs}: LCP ${Math.round(r.lcp)} ms, TBT ${Math.round(r.tbt)} ms`,
        );
      }
    }
  } finally {
    await site.close();
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2]) || RUNS;
  const result = await runLighthouse({ runs, log: (l) => console.error(l) });
  console.log(renderLighthouse(result));
  if (process.env.PARLEY_LIGHTHOUSE_JSON)
    (await import('node:fs')).writeFileSync(process.env.PARLEY_LIGHTHOUSE_JSON, JSON.stringify(result, null, 2));
}
