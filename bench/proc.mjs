// Child processes for the benchmark: servers (gateway, relay) and load-generator workers, plus /proc readings.
// Every child started here is registered, so `killAll()` (called from a finally and on SIGINT/SIGTERM/exit) never
// leaves a gateway or a generator behind.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drain, root, startServer as startProcess } from '../test/support/processes.mjs';

export { root };

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every child process still alive that we started. */
const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills (SIGKILL) every child we started and has not exited yet. Synchronous, so it also works in 'exit'. */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a server process (`node <script>`) and waits until it prints a line matching `ready` with the URL in group 1
 * (test/support/processes.mjs). Its output is always drained and the last 64 KB are kept for error messages; the
 * child is registered for `killAll()`.
 */
export function startServer(options) {
  return startProcess({ ...options, keepBytes: 65_536, onSpawn: track });
}

/**
 * Forks a load-generator worker (bench/load.mjs) with an IPC channel. `call(cmd, args)` sends a command and resolves
 * with the worker's answer; a worker that dies rejects every pending call.
 */
export function startWorker(name, { heapMb = 4096 } = {}) {
  const child = track(
    fork(path.join(here, 'load.mjs'), [name], {
      cwd: root,
      execArgv: [`--max-old-space-size=${heapMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const { output } = drain(child, 65_536);
  let nextId = 0;
  const pending = new Map();
  child.on('message', (msg) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(`${name}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${name} exited (${code ?? signal}) during "${p.cmd}":\n${output().slice(-4000)}`));
    }
    pending.clear();
  });
  return {
    name,
    pid: child.pid,
    child,
    output,
    call(cmd, args = {}, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const id = ++nextId;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: "${cmd}" took longer than ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer, cmd });
        child.send({ id, cmd, args });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A TCP port free right now on 127.0.0.1, chosen outside Linux's ephemeral range (32768–60999) so that none of the
 * thousands of client sockets can take it while the gateway is down during the reconnection storm. */
export async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found in 20000–31999');
}

const CLK_TCK = 100;

/** RSS (bytes), CPU time used so far (seconds, user + system) and open file descriptors of a process. */
export function procStat(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? Number.NaN);
    const hwmKb = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? Number.NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    let fds = Number.NaN;
    try {
      fds = readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // not readable
    }
    // Nanoseconds on a CPU and waiting runnable in a run queue (all threads of the main one; see sched-stats.rst).
    let runWait = Number.NaN;
    try {
      runWait = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
    } catch {
      // no schedstats
    }
    return { rss: rssKb * 1024, peakRss: hwmKb * 1024, cpu, runWait, fds };
  } catch {
    return { rss: Number.NaN, peakRss: Number.NaN, cpu: Number.NaN, runWait: Number.NaN, fds: Number.NaN };
  }
}

/**
 * CPU use of several processes over a window: `const w = cpuWindow(pids); ...; w.end()` → per pid: CPU seconds,
 * percent of one core, and the share of the window its main thread (the event loop) was runnable but waiting for a
 * CPU (from /proc/<pid>/schedstat): on a shared 2-core machine, the time lost to other processes.
 */
export function cpuWindow(pids) {
  const t0 = performance.now();
  const start = Object.fromEntries(pids.map((pid) => [pid, procStat(pid)]));
  const machine0 = machineBusy();
  return {
    /** Whole machine, in percent of one core (2 cores = 200%), over the window so far. */
    machine() {
      const seconds = (performance.now() - t0) / 1000;
      return ((machineBusy() - machine0) / seconds) * 100;
    },
    end() {
      const seconds = (performance.now() - t0) / 1000;
      return Object.fromEntries(
        pids.map((pid) => {
          const end = procStat(pid);
          const cpuSeconds = end.cpu - start[pid].cpu;
          return [
            pid,
            {
              cpuSeconds,
              percent: (cpuSeconds / seconds) * 100,
              runQueuePercent: ((end.runWait - start[pid].runWait) / seconds) * 100,
            },
          ];
        }),
      );
    },
  };
}

/** CPU seconds the whole machine has been busy (all cores; everything but idle and iowait) since boot. */
export function machineBusy() {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Pids of the processes whose command name (`/proc/<pid>/comm`) is one of `names`, whoever started them. */
export function processesNamed(names) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** 1-, 5- and 15-minute load averages. */
export function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [Number.NaN, Number.NaN, Number.NaN];
  }
}

export { delay };
