// Node child processes that tests and benchmarks share: the gateway (built, or bundled from main.ts by the test) and
// any script that prints a line when it is ready. Plain JS so that bench/*.mjs can import it; types in processes.d.mts.
import { spawn } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The line the gateway prints once it listens; group 1 is its base URL. */
export const GATEWAY_READY = /listening on (http:\/\/[\d.]+:\d+)/;

/** The built gateway in `dist` (a directory of the repository), as `node build.mjs` writes it. */
export const gatewayScript = (dist = 'dist') => path.join(root, dist, 'server', 'main.js');

/**
 * Drains a child's stdout and stderr (a full pipe would stall it), keeping the last `keepBytes` characters of each and
 * of both interleaved.
 */
export function drain(child, keepBytes = Number.POSITIVE_INFINITY) {
  const text = { stdout: '', stderr: '', all: '' };
  const keep = (stream) => (chunk) => {
    for (const key of [stream, 'all']) {
      text[key] += chunk;
      if (text[key].length > keepBytes) text[key] = text[key].slice(-keepBytes);
    }
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  return { output: () => text.all, stdout: () => text.stdout, stderr: () => text.stderr };
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `node script`, with the environment of this process plus `env` unless `inheritEnv` is false. */
export function runNode(options) {
  const { script, nodeArgs = [], cwd = root, env = {}, inheritEnv = true, keepBytes, onSpawn } = options;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env: inheritEnv ? { ...process.env, ...env } : env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(child);
  const texts = drain(child, keepBytes);
  // 'close' rather than 'exit': it comes once the last output was read, so `output()` then holds all of it.
  let closed = false;
  const exited = new Promise((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      resolve({ code, signal });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid,
    ...texts,
    exited,
    alive,
    waitFor: (pattern, timeoutMs = 15_000, name = path.basename(script)) =>
      waitForOutput(child, () => closed, texts.output, pattern, timeoutMs, name),
    /** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (alive()) child.kill(signal);
      const result = await Promise.race([exited, delay(graceMs).then(() => null)]);
      if (result) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The first match of `pattern` in the child's output; rejects when the child ends or `timeoutMs` passes first. */
function waitForOutput(child, closed, output, pattern, timeoutMs, name) {
  return new Promise((resolve, reject) => {
    const tail = () => output().slice(-4000);
    const done = (settle, value) => {
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      child.off('close', exit);
      settle(value);
    };
    const check = () => {
      const match = output().match(pattern);
      if (match) done(resolve, match);
    };
    const exit = (code, signal) => {
      check();
      done(reject, new Error(`${name} exited (${code ?? signal}) before printing ${pattern}:\n${tail()}`));
    };
    const timer = setTimeout(
      () => done(reject, new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${tail()}`)),
      timeoutMs,
    );
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('close', exit);
    check();
    if (closed()) exit(child.exitCode, child.signalCode);
  });
}

/**
 * Starts a server process (`node script`) and waits until it prints a line matching `ready` with its URL in group 1.
 * A server that does not get ready within `timeoutMs` is killed.
 */
export async function startServer({ name, ready, timeoutMs = 20_000, ...options }) {
  const startedAt = performance.now();
  const proc = runNode(options);
  let url;
  try {
    [, url] = await proc.waitFor(ready, timeoutMs, name);
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw err;
  }
  return { ...proc, name, url, port: Number(new URL(url).port), startMs: performance.now() - startedAt };
}

/**
 * Bundles `entry` for Node as the build bundles the gateway (ESM, packages external) into `outfile` under `dir`, and
 * links `dir/node_modules` to the repository's so the bundle finds its packages.
 */
export async function bundleForNode(entry, outfile, dir) {
  await mkdir(path.dirname(outfile), { recursive: true });
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir').catch((err) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}

/** `demo/server/main.ts` bundled as the build ships it, at `dir/dist/server/main.js` (it serves `dir/dist`). */
export const bundleGateway = (dir) =>
  bundleForNode(path.join(root, 'demo/server/main.ts'), path.join(dir, 'dist', 'server', 'main.js'), dir);
