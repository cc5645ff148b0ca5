// Builds the widget, the gateway and the agent console with esbuild, reports sizes and enforces the size budgets.
// Usage: node build.mjs [--watch | --if-stale | --analyze]   (--watch rebuilds on change and restarts the gateway;
// --if-stale builds only when a source changed since the last successful build, so `npm start` starts at once;
// --analyze also prints which modules the widget's bytes come from, before compression)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
// PARLEY_DIST builds elsewhere (the budget test does, so it never disturbs a dist/ other tests are serving).
const outRoot = process.env.PARLEY_DIST ?? 'dist';
const dist = path.resolve(root, outRoot);
const out = (...parts) => path.join(outRoot, ...parts);

/**
 * Size budgets in gzip bytes, the single place they live, judged as ordinary servers and CDNs compress: standard gzip
 * level 9 (zlib), not the Zopfli files the gateway itself serves, which are about 4% smaller (PRODUCT.md). `firstLoad`
 * is what the script tag must load before the launcher shows (dist/parley.js alone); `total` is the whole widget, JS
 * and CSS, every chunk included, with the largest language. PARLEY_BUDGET_<NAME> overrides one (in bytes) so a test
 * can prove that the build fails when a budget is exceeded.
 */
export const BUDGETS = {
  firstLoad: Number(process.env.PARLEY_BUDGET_FIRSTLOAD ?? 8 * 1024),
  total: Number(process.env.PARLEY_BUDGET_TOTAL ?? 25 * 1024),
};

/**
 * Loads Zopfli once. Its Emscripten glue installs process-wide 'uncaughtException' and 'unhandledRejection' handlers
 * that print its whole source on any later error; they are removed again so build errors stay readable.
 */
let zopfliModule;
async function zopfli() {
  if (!zopfliModule) {
    const before = ['uncaughtException', 'unhandledRejection'].map((e) => [e, process.listeners(e)]);
    zopfliModule = await import('@gfx/zopfli');
    for (const [event, keep] of before)
      for (const listener of process.listeners(event)) if (!keep.includes(listener)) process.off(event, listener);
  }
  return zopfliModule;
}

/**
 * Compresses a browser asset the way the gateway serves it. Gzip comes from Zopfli, which writes standard gzip about
 * 4% smaller than zlib's best; only clients without brotli ever receive it. `gzip9` is what the budgets judge: the
 * size a site serving parley.js from its own server or CDN gets (`gzip -9`).
 */
export async function compress(buf) {
  return {
    gzip: Buffer.from(await (await zopfli()).gzipAsync(buf, { numiterations: 15 })),
    gzip9: gzipSync(buf, { level: 9 }),
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

/**
 * Returns the budget violations, as messages, for the measured widget files (`gzip`: their size with gzip -9). Files
 * marked `alternative` (the panel's strings, one chunk per language) are alternatives of which a visitor loads one:
 * the largest counts.
 */
export function checkBudgets(widgetFiles, budgets = BUDGETS) {
  const errors = [];
  const first = widgetFiles.find((f) => f.name === 'parley.js');
  if (!first) errors.push('dist/parley.js is missing');
  else if (first.gzip > budgets.firstLoad)
    errors.push(`first load (parley.js) is ${first.gzip} B gzip -9, over its budget of ${budgets.firstLoad} B`);
  const total = widgetTotal(widgetFiles, 'gzip');
  if (total > budgets.total) errors.push(`whole widget is ${total} B gzip -9, over its budget of ${budgets.total} B`);
  return errors;
}

/**
 * What one visitor downloads: every file, and of the alternatives only the largest. Files marked `lazy` (rarely used UI
 * such as attachments, loaded with `import()` when used: PRODUCT.md does not count them in the chat's budget) are left
 * out.
 */
function widgetTotal(files, key) {
  files = files.filter((f) => !f.lazy);
  const always = files.filter((f) => !f.alternative).reduce((sum, f) => sum + f[key], 0);
  return always + Math.max(0, ...files.filter((f) => f.alternative).map((f) => f[key]));
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`.padStart(10);

function listFiles(dir, filter) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => filter(f) && statSync(path.join(dir, f)).isFile())
    .map((f) => path.join(dir, f));
}

/** CSS is minified by esbuild and imported as a string, so the widget can adopt it into its shadow root. */
const cssText = {
  name: 'css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      if (args.with?.type !== 'text') return undefined;
      const source = readFileSync(args.path, 'utf8');
      const { code } = await esbuild.transform(source, {
        loader: 'css',
        minify: true,
        target: ['chrome100', 'safari15', 'firefox100'],
      });
      return { contents: `export default ${JSON.stringify(code.trim())};`, loader: 'js' };
    });
  },
};

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * The widget's JSX compiles to classic `h()` calls, which are smaller than the automatic runtime's `jsx()` (no
 * `children` keys, no runtime module), and `h` is in Preact's core, which the widget ships anyway. Only the panel's
 * components get the import, so the language chunks do not depend on Preact.
 */
const classicJsx = {
  name: 'classic-jsx',
  setup(build) {
    build.onLoad({ filter: /src[\\/]app[\\/]ui[\\/][^\\/]+\.tsx$/ }, (args) => ({
      contents: `import { h, Fragment } from 'preact';\n${readFileSync(args.path, 'utf8')}`,
      loader: 'tsx',
    }));
    // The lazy attachment chunk gets the panel's h at run time (src/attachments/jsx.ts), not a Preact import.
    build.onLoad({ filter: /src[\\/]attachments[\\/][^\\/]+\.tsx$/ }, (args) => ({
      contents: `import { h, Fragment } from './jsx';\n${readFileSync(args.path, 'utf8')}`,
      loader: 'tsx',
    }));
  },
};

const browserTarget = ['chrome100', 'edge100', 'firefox100', 'safari15.4'];
const common = {
  bundle: true,
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { __PARLEY_VERSION__: JSON.stringify(pkg.version) },
};

const LANGUAGES = readdirSync('src/locales', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** The panel's strings, one standalone ES module per language (no shared runtime chunk to fetch with them). */
function localeOptions(minify) {
  return {
    ...common,
    entryPoints: Object.fromEntries(LANGUAGES.map((lang) => [`panel-${lang}`, `src/locales/${lang}/panel.ts`])),
    outdir: out('chunks'),
    format: 'esm',
    minify,
    charset: 'utf8',
    target: browserTarget,
    entryNames: minify ? '[name]-[hash]' : '[name]',
    metafile: true,
  };
}

/** Output file of each language, from the locale build's metafile: { en: 'panel-en-HASH.js', … }. */
function localeFiles(metafile) {
  return Object.fromEntries(
    Object.entries(metafile.outputs)
      .filter(([, o]) => o.entryPoint)
      .map(([file, o]) => [o.entryPoint.split('/')[2], path.basename(file)]),
  );
}

/**
 * In the script-tag build, src/app/strings.ts imports its language's module by URL, next to the app chunk; bundler
 * users (the ESM build) keep the analyzable import() map in the source.
 */
function stringsByUrl(files) {
  return {
    name: 'strings-by-url',
    setup(build) {
      build.onLoad({ filter: /src[\\/]app[\\/]strings\.ts$/ }, () => ({
        contents: `const FILES = ${JSON.stringify(files)};
          export async function loadStrings(lang) {
            return (await import(new URL(FILES[lang] ?? FILES.en, import.meta.url).href)).strings;
          }`,
        loader: 'js',
      }));
    },
  };
}

function widgetOptions(minify, files) {
  return [
    // The lazily loaded part of the widget: ES modules, split into chunks, imported by parley.js on demand.
    {
      ...common,
      entryPoints: { app: 'src/app/index.ts' },
      outdir: out('chunks'),
      format: 'esm',
      splitting: true,
      minify,
      target: browserTarget,
      entryNames: '[name]-[hash]',
      chunkNames: '[name]-[hash]',
      // ES modules are always decoded as UTF-8, so their text need not be escaped (parley.js, a classic script
      // that a site may serve without a charset, keeps its \u escapes).
      charset: 'utf8',
      // tsconfig.json's JSX settings (automatic runtime, for the console) would win over build options.
      tsconfigRaw: {
        compilerOptions: {
          jsx: 'react',
          jsxFactory: 'h',
          jsxFragmentFactory: 'Fragment',
          useDefineForClassFields: true,
        },
      },
      metafile: true,
      // Private members (Preact names its `__…`) get short names. Nothing with such a name crosses the bundle's edge:
      // the wire protocol, the loader's Host interface and the DOM use none. Quoted accesses are renamed too.
      mangleProps: /^_/,
      mangleQuoted: true,
      plugins: [cssText, classicJsx, stringsByUrl(files)],
    },
  ];
}

function loaderOptions(minify, appChunk) {
  return {
    ...common,
    entryPoints: { parley: 'src/web.ts' },
    outdir: outRoot,
    format: 'iife',
    minify,
    target: browserTarget,
    define: { ...common.define, __PARLEY_APP_CHUNK__: JSON.stringify(appChunk) },
    plugins: [cssText],
  };
}

const esmOptions = {
  ...common,
  entryPoints: { index: 'src/index.ts', protocol: 'src/protocol.ts' },
  outdir: out('esm'),
  format: 'esm',
  splitting: true,
  minify: false,
  target: browserTarget,
  packages: 'external',
  define: { ...common.define, __PARLEY_APP_CHUNK__: '""' },
  plugins: [cssText],
};

const serverOptions = {
  ...common,
  entryPoints: { main: 'demo/server/main.ts' },
  outdir: out('server'),
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // PostgreSQL and Redis support are imported on demand (store/open.ts, gateway.ts): split into chunks, a SQLite-only
  // gateway never loads pg or redis.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
};

const consoleOptions = {
  ...common,
  entryPoints: { main: 'demo/console/main.tsx' },
  outdir: out('console'),
  format: 'esm',
  minify: true,
  target: browserTarget,
};

function appChunkName(metafile) {
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'src/app/index.ts');
  if (!entry) throw new Error('app entry missing from the build output');
  return path.relative(outRoot, entry[0]).split(path.sep).join('/');
}

function copyPages() {
  mkdirSync(out('pages'), { recursive: true });
  cpSync('demo/pages', out('pages'), { recursive: true });
}

/**
 * Writes .gz and .br next to each browser asset, so the gateway serves them without compressing per request, and
 * returns the sizes of what it will serve.
 */
async function precompress(files) {
  return Promise.all(
    files.map(async (file) => {
      const buf = readFileSync(file);
      const { gzip, gzip9, brotli } = await compress(buf);
      writeFileSync(`${file}.gz`, gzip);
      writeFileSync(`${file}.br`, brotli);
      return {
        name: path.relative(dist, file),
        raw: buf.length,
        gzip: gzip9.length,
        brotli: brotli.length,
        served: gzip.length,
      };
    }),
  );
}

/** Entry points of rarely used UI, and the chunks only they import (statically): loaded on use, outside the budget. */
const RARE = /^chunks\/(widget-chunk|deliver|away-tools)-[A-Z0-9]+\.js$/;

function rareChunks(names) {
  const imports = (name) =>
    [...readFileSync(path.join(dist, name), 'utf8').matchAll(/from"\.\/([\w-]+\.js)"/g)].map((m) => `chunks/${m[1]}`);
  const reach = (roots) => {
    const seen = new Set();
    const walk = (n) => {
      if (seen.has(n)) return;
      seen.add(n);
      for (const next of imports(n)) walk(next);
    };
    roots.forEach(walk);
    return seen;
  };
  const js = names.filter((n) => n.endsWith('.js'));
  // The core: the app chunk (which parley.js loads) and everything it imports statically.
  const core = reach(js.filter((n) => n.startsWith('chunks/app-')));
  return new Set([...reach(js.filter((n) => RARE.test(n)))].filter((n) => !core.has(n)));
}

function report(sizes, alternatives) {
  const rare = rareChunks(sizes.filter((r) => r.name.startsWith('chunks')).map((r) => r.name));
  const widget = sizes
    .filter((r) => r.name === 'parley.js' || r.name.startsWith('chunks'))
    .map((r) => (alternatives.has(r.name) ? { ...r, alternative: true } : rare.has(r.name) ? { ...r, lazy: true } : r));
  const rows = widget.concat(sizes.filter((r) => !widget.some((w) => w.name === r.name)));
  const width = Math.max(...rows.map((r) => r.name.length), 20);
  const heads = ['raw', 'gzip -9', 'brotli', 'served .gz'].map((h) => h.padStart(10)).join(' ');
  console.log(`\n${'output'.padEnd(width)} ${heads}`);
  const line = (name, r, note = '') =>
    console.log(`${name.padEnd(width)} ${kb(r.raw)} ${kb(r.gzip)} ${kb(r.brotli)} ${kb(r.served)}${note}`);
  for (const r of rows) line(r.name, r, r.alternative ? '  (one language)' : r.lazy ? '  (lazy, used rarely)' : '');
  const total = Object.fromEntries(['raw', 'gzip', 'brotli', 'served'].map((k) => [k, widgetTotal(widget, k)]));
  line('widget total', total, '  (largest language)');
  console.log(
    `budgets (gzip -9, B): first load ${BUDGETS.firstLoad}, whole widget ${BUDGETS.total}; ` +
      `measured ${widget.find((r) => r.name === 'parley.js')?.gzip} and ${total.gzip}. ` +
      'The gateway serves Zopfli .gz (smaller), but sites serving the files themselves get gzip -9.\n',
  );
  return checkBudgets(widget);
}

async function buildAll() {
  rmSync(dist, { recursive: true, force: true });
  const files = localeFiles((await esbuild.build(localeOptions(true))).metafile);
  const [app] = await Promise.all(widgetOptions(true, files).map((o) => esbuild.build(o)));
  if (process.argv.includes('--analyze')) console.log(await esbuild.analyzeMetafile(app.metafile, { verbose: false }));
  await Promise.all([
    esbuild.build(loaderOptions(true, appChunkName(app.metafile))),
    esbuild.build(esmOptions),
    esbuild.build(serverOptions),
    esbuild.build(consoleOptions),
  ]);
  copyPages();
  await emitTypes();
  const assets = (dir) => listFiles(path.join(dist, dir), (f) => /\.(js|css)$/.test(f));
  const sizes = await precompress([path.join(dist, 'parley.js'), ...assets('chunks'), ...assets('console')]);
  const errors = report(sizes, new Set(Object.values(files).map((f) => `chunks/${f}`)));
  if (errors.length === 0) {
    if (!process.env.PARLEY_DIST) stageGateway();
    writeFileSync(path.join(dist, STAMP), `${new Date().toISOString()}\n`);
  }
  return errors;
}

/**
 * The gateway package (demo/server, `@parley/gateway`) ships what the gateway serves, so `npx parley-gateway` needs
 * no build step: its server, the widget and its chunks, the console and the pages, with their precompressed copies.
 * npm packs only files inside a package's folder, hence this copy of the build rather than a link to it.
 */
function stageGateway() {
  const staged = path.join(root, 'demo/server/dist');
  rmSync(staged, { recursive: true, force: true });
  const parts = ['server', 'chunks', 'console', 'pages', ...readdirSync(dist).filter((f) => f.startsWith('parley.js'))];
  for (const part of parts) cpSync(path.join(dist, part), path.join(staged, part), { recursive: true });
}

/** Written after a successful build; `--if-stale` builds only when a source is newer than it. */
const STAMP = '.build-stamp';
const SOURCES = ['src', 'demo', 'build.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.esm.json'];

/** True when the last successful build is newer than every source file (generated folders excluded). */
function upToDate() {
  const stamp = path.join(dist, STAMP);
  if (!existsSync(stamp) || !existsSync(path.join(root, 'demo/server/dist/server/main.js'))) return false;
  const built = statSync(stamp).mtimeMs;
  const generated = /(^|[\\/])(node_modules|dist)([\\/]|$)/;
  const newer = (p) => {
    const full = path.join(root, p);
    if (!existsSync(full)) return false;
    const st = statSync(full);
    if (st.isFile()) return st.mtimeMs > built;
    return readdirSync(full, { recursive: true })
      .map(String)
      .some((f) => !generated.test(f) && statSync(path.join(full, f)).mtimeMs > built);
  };
  return !SOURCES.some(newer);
}

/** Declarations for the ESM build, from the TypeScript compiler itself. */
function emitTypes() {
  return new Promise((resolve, reject) => {
    const tsc = spawn(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.esm.json'],
      {
        stdio: 'inherit',
      },
    );
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`))));
  });
}

async function watch() {
  let gateway;
  const restart = () => {
    gateway?.kill('SIGTERM');
    gateway = spawn(process.execPath, ['dist/server/main.js'], { stdio: 'inherit' });
  };
  const onEnd = (label, after) => ({
    name: `on-end-${label}`,
    setup(build) {
      build.onEnd((result) => {
        if (result.errors.length === 0) {
          console.log(`[build] ${label} rebuilt`);
          after?.(result);
        }
      });
    },
  });
  await buildAll();
  // In watch mode chunk names must stay stable between rebuilds, so the app chunk is not content-hashed.
  const files = Object.fromEntries(LANGUAGES.map((lang) => [lang, `panel-${lang}.js`]));
  const app = await esbuild.context({
    ...widgetOptions(false, files)[0],
    entryNames: '[name]',
    plugins: [cssText, classicJsx, stringsByUrl(files), onEnd('widget chunks')],
  });
  const contexts = [
    app,
    await esbuild.context({ ...localeOptions(false), plugins: [onEnd('languages')] }),
    await esbuild.context({ ...loaderOptions(false, 'chunks/app.js'), plugins: [cssText, onEnd('parley.js')] }),
    await esbuild.context({ ...serverOptions, plugins: [onEnd('gateway', restart)] }),
    await esbuild.context({ ...consoleOptions, plugins: [onEnd('console')] }),
  ];
  await Promise.all(contexts.map((c) => c.watch()));
  process.on('SIGINT', () => {
    gateway?.kill('SIGTERM');
    process.exit(0);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.chdir(root);
  if (process.argv.includes('--watch')) {
    await watch();
  } else if (process.argv.includes('--if-stale') && upToDate()) {
    console.log('build is up to date (dist/ is newer than every source); skipping it');
  } else {
    const errors = await buildAll();
    if (errors.length) {
      for (const e of errors) console.error(`size budget exceeded: ${e}`);
      process.exit(1);
    }
  }
}
