import type { ChildProcess } from 'node:child_process';

export declare const root: string;
export declare const GATEWAY_READY: RegExp;
export declare function gatewayScript(dist?: string): string;

export interface Output {
  /** stdout and stderr interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
}

export declare function drain(child: ChildProcess, keepBytes?: number): Output;

export interface RunOptions {
  script: string;
  nodeArgs?: string[];
  /** The repository by default. */
  cwd?: string;
  env?: Record<string, string>;
  /** Pass this process's environment under `env` (default true). */
  inheritEnv?: boolean;
  /** Characters of output kept per stream; all by default. */
  keepBytes?: number;
  /** Called with the child as soon as it exists (e.g. to register it for killing on exit). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess extends Output {
  child: ChildProcess;
  pid: number | undefined;
  /** Resolves once the process exited and its output was read. */
  exited: Promise<Exit>;
  alive(): boolean;
  /** The first match of `pattern` in the output; rejects when the process exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs?: number, name?: string): Promise<RegExpMatchArray>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; escalates to SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

export declare function runNode(options: RunOptions): NodeProcess;

export interface Server extends NodeProcess {
  name: string;
  url: string;
  port: number;
  /** Milliseconds from spawn to the ready line. */
  startMs: number;
}

export declare function startServer(
  options: RunOptions & { name: string; ready: RegExp; timeoutMs?: number },
): Promise<Server>;

export declare function bundleForNode(entry: string, outfile: string, dir: string): Promise<string>;
export declare function bundleGateway(dir: string): Promise<string>;
