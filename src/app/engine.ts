/**
 * A WebSocket-only Engine.IO client (protocol 4), swapped in for engine.io-client by build.mjs in the widget bundle:
 * the exports socket.io-client's Manager imports (`Socket`, `installTimerFunctions`, `nextTick`) with the events it
 * listens to (`open`, `data`, `ping`, `error`, `close` with engine.io-client's reasons). The widget never uses
 * long-polling, upgrades, binary frames or Node options, which are most of engine.io-client (about 3 KB gzip).
 * Frames: `0{handshake}` open, `2` ping (answered `3`), `4…` a Socket.IO packet; a binary frame is ignored, as
 * Parley's protocol is JSON only.
 */
import { Emitter } from '@socket.io/component-emitter';

/** What socket.io-client's Manager listens to. */
interface EngineEvents {
  open: () => void;
  ping: () => void;
  data: (packet: string) => void;
  error: (err: Error) => void;
  close: (reason: string, description?: unknown) => void;
}

export interface TimerFunctions {
  setTimeoutFn?: typeof setTimeout;
  clearTimeoutFn?: typeof clearTimeout;
}

export function installTimerFunctions(obj: TimerFunctions): void {
  obj.setTimeoutFn = setTimeout.bind(globalThis);
  obj.clearTimeoutFn = clearTimeout.bind(globalThis);
}

/** Runs `fn` after the current task's synchronous work (a microtask). */
export const nextTick = (fn: () => void): unknown => Promise.resolve().then(fn);

export class Socket extends Emitter<EngineEvents, never, EngineEvents> {
  id: string | null = null;
  readyState: 'opening' | 'open' | 'closed' = 'opening';
  private readonly ws: WebSocket;
  private _pingTimer?: ReturnType<typeof setTimeout>;
  /** How long the gateway may stay silent: its ping interval plus its ping timeout. */
  private _pingWindow = 0;
  /**
   * When the next ping is due at the latest. A timer can fire late (a suspended laptop, a locked phone), so the
   * Socket.IO socket also asks `_hasPingExpired()` before each emit, as with engine.io-client.
   */
  private _pingDeadline = Number.POSITIVE_INFINITY;

  constructor(uri: string, opts: { path: string }) {
    super();
    // The gateway is an origin (src/loader/config.ts normalises it): http(s)://host[:port].
    const ws = new WebSocket(`${uri.replace(/^http/, 'ws')}${opts.path}/?EIO=4&transport=websocket`);
    this.ws = ws;
    ws.onmessage = (e) => this._onFrame(e.data);
    ws.onerror = () => {
      this.emitReserved('error', new Error('websocket error'));
      this._onClose('transport error');
    };
    ws.onclose = (e) => this._onClose('transport close', { description: 'websocket connection closed', context: e });
  }

  private _onFrame(frame: unknown): void {
    if (typeof frame !== 'string') return;
    const type = frame[0];
    if (type === '0') {
      const handshake = JSON.parse(frame.slice(1)) as { sid: string; pingInterval: number; pingTimeout: number };
      this.id = handshake.sid;
      this._pingWindow = handshake.pingInterval + handshake.pingTimeout;
      this.readyState = 'open';
      this.emitReserved('open');
      // An `open` listener may have closed it.
      if (this.readyState === 'open') this._resetPingTimeout();
    } else if (type === '2') {
      this._send('3');
      this.emitReserved('ping');
      this._resetPingTimeout();
    } else if (type === '4') this.emitReserved('data', frame.slice(1));
  }

  private _resetPingTimeout(): void {
    clearTimeout(this._pingTimer);
    this._pingDeadline = Date.now() + this._pingWindow;
    this._pingTimer = setTimeout(() => this._onClose('ping timeout'), this._pingWindow);
  }

  _hasPingExpired(): boolean {
    const expired = !this._pingDeadline || Date.now() > this._pingDeadline;
    if (expired && this._pingDeadline) {
      this._pingDeadline = 0;
      nextTick(() => this._onClose('ping timeout'));
    }
    return expired;
  }

  private _send(frame: string): void {
    try {
      this.ws.send(frame);
    } catch {
      // Closed a moment ago and the browser has not said so yet: its close event follows.
    }
  }

  /** Writes one Socket.IO packet; like engine.io-client, nothing is written before the handshake or after a close. */
  write(packet: string): void {
    if (this.readyState === 'open') this._send(`4${packet}`);
  }

  close(): this {
    this._onClose('forced close');
    return this;
  }

  private _onClose(reason: string, description?: unknown): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.id = null;
    clearTimeout(this._pingTimer);
    const { ws } = this;
    ws.onmessage = ws.onerror = ws.onclose = null;
    // Frames already sent still go out before the close frame.
    ws.close();
    this.emitReserved('close', reason, description);
  }
}
