/**
 * The widget's Socket.IO client: one namespace over one WebSocket (Engine.IO protocol 4, Socket.IO protocol 5, JSON
 * only), with exactly what the widget used of socket.io-client: the handshake's `auth`, events, acks with a timeout,
 * the heartbeat, and reconnecting after a lost connection with the client core's jittered backoff. About 5 KB gzip
 * less than socket.io-client with engine.io-client. Left out on purpose: long-polling and upgrades (no sticky
 * sessions behind a load balancer, fewer round trips), binary attachments (Parley's protocol is JSON), buffering
 * while disconnected (callers check `connected`; the outbox retries what was not acknowledged), several namespaces on
 * one connection, and acks to the server's events (the gateway asks for none).
 *
 * Frames: `0{handshake}` open, `2` ping (answered `3`), `4<packet>` a Socket.IO packet:
 * `<type>[<namespace>,][<ack id>][<JSON>]`, types CONNECT 0, DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4.
 */
import { backoff } from '../client/backoff';
import type { ErrorCode } from '../protocol';

// biome-ignore lint/suspicious/noExplicitAny: listener maps are typed by the event interfaces that instantiate them.
type Listener = (...args: any[]) => void;
/** An interface of events (name → listener), as src/protocol.ts declares them. */
type Events<T> = { [K in keyof T]: Listener };

/** Why a connected socket disconnected, in socket.io-client's words. */
export type DisconnectReason =
  | 'io server disconnect'
  | 'io client disconnect'
  | 'transport close'
  | 'transport error'
  | 'ping timeout'
  | 'parse error';

/** A refused handshake carries the gateway's error code in `data` (a network failure has none). */
export type ConnectError = Error & { data?: { code?: ErrorCode } };

export interface ReservedEvents {
  connect: () => void;
  disconnect: (reason: DisconnectReason) => void;
  connect_error: (err: ConnectError) => void;
}

/** The value an event's ack callback receives. */
type AckOf<F extends Listener> = Parameters<NonNullable<Parameters<F>[1]>>[0];

export interface SocketOptions {
  /** Reconnect delays grow from about this… */
  reconnectBaseMs: number;
  /** …to at most this, with full jitter (src/client/backoff.ts). */
  reconnectMaxMs: number;
}

const PACKET = /^([0-4])(\/[^,]*,?)?(\d*)([\s\S]*)$/;
/** socket.io-client's connect timeout: a WebSocket without a handshake by then is a failed attempt. */
const OPEN_TIMEOUT_MS = 20_000;

export class Socket<Listen extends Events<Listen>, Emit extends Events<Emit>> {
  /** Between the namespace's CONNECT and the next disconnect. */
  connected = false;
  /**
   * Wants to be connected, so a lost connection is retried. False after disconnect(), a refused handshake or the
   * gateway's disconnect: socket.io-client does not retry those by itself either.
   */
  active = false;
  #ws: WebSocket | undefined;
  #listeners: { [event: string]: Listener[] } = {};
  #acks = new Map<number, (err: Error | null, value?: unknown) => void>();
  #nextAck = 0;
  #attempt = 0;
  /** The open timeout while connecting, the reconnect delay while waiting. */
  #timer?: ReturnType<typeof setTimeout>;
  #pingTimer?: ReturnType<typeof setTimeout>;
  /** The gateway's ping interval plus its ping timeout: how long it may stay silent. */
  #pingWindow = 0;
  /** When the gateway's next ping is due at the latest. */
  #pingDeadline = Number.POSITIVE_INFINITY;

  readonly #url: string;
  readonly #nsp: string;
  /** Re-evaluated on every attempt, so a reconnect presents the newest session. */
  readonly #auth: () => object;
  readonly #options: SocketOptions;

  constructor(url: string, nsp: string, auth: () => object, options: SocketOptions) {
    this.#url = url;
    this.#nsp = nsp;
    this.#auth = auth;
    this.#options = options;
  }

  on<K extends keyof Listen | keyof ReservedEvents>(
    event: K,
    fn: K extends keyof ReservedEvents ? ReservedEvents[K] : K extends keyof Listen ? Listen[K] : never,
  ): this {
    const name = event as string;
    this.#listeners[name] = [...(this.#listeners[name] ?? []), fn];
    return this;
  }

  removeAllListeners(): this {
    this.#listeners = {};
    return this;
  }

  connect(): this {
    this.active = true;
    if (!this.#ws) {
      clearTimeout(this.#timer);
      this.#open();
    }
    return this;
  }

  disconnect(): this {
    if (this.connected) this.#write(`1${this.#nsp},`);
    this.active = false;
    this.#close('io client disconnect');
    return this;
  }

  /** Sends an event; while disconnected nothing is sent (nor buffered). */
  emit<K extends keyof Emit & string>(event: K, payload: Parameters<Emit[K]>[0]): this {
    if (this.connected) this.#write(`2${this.#nsp},${JSON.stringify([event, payload])}`);
    return this;
  }

  /**
   * `timeout(ms).emitWithAck(event, payload)`, as in socket.io-client: resolves with the ack, rejects when none came
   * within `ms`, when the connection is lost first, or at once while disconnected.
   */
  timeout(ms: number) {
    return {
      emitWithAck: <K extends keyof Emit & string>(event: K, payload: Parameters<Emit[K]>[0]) =>
        new Promise<AckOf<Emit[K]>>((resolve, reject) => {
          if (!this.connected) return reject(new Error('socket is not connected'));
          const id = this.#nextAck++;
          const timer = setTimeout(() => {
            this.#acks.delete(id);
            reject(new Error('operation has timed out'));
          }, ms);
          this.#acks.set(id, (err, value) => {
            clearTimeout(timer);
            if (err) reject(err);
            else resolve(value as AckOf<Emit[K]>);
          });
          this.#write(`2${this.#nsp},${id}${JSON.stringify([event, payload])}`);
        }),
    };
  }

  #fire(event: string, ...args: unknown[]): void {
    // A copy-on-write list: a listener added or removed meanwhile does not change this round.
    for (const fn of this.#listeners[event] ?? []) fn(...args);
  }

  #open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${this.#url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    } catch (err) {
      // Some engines throw here (e.g. a URL the page's policy forbids) rather than fail the connection: a failed
      // attempt like any other, told to the listeners after the caller's turn and retried; never thrown into the page.
      this.#timer = setTimeout(() => this.#lost('transport error', err as Error));
      return;
    }
    this.#ws = ws;
    this.#timer = setTimeout(() => this.#lost('transport error', new Error('timeout')), OPEN_TIMEOUT_MS);
    ws.onmessage = (e) => this.#onFrame(e.data);
    ws.onerror = () => this.#lost('transport error', new Error('websocket error'));
    ws.onclose = () => this.#lost('transport close');
  }

  #onFrame(frame: unknown): void {
    // Parley's protocol is JSON only: a binary frame is not for this client.
    if (typeof frame !== 'string') return;
    const type = frame[0];
    if (type === '0') {
      let window: number;
      try {
        const handshake = JSON.parse(frame.slice(1)) as { pingInterval: number; pingTimeout: number };
        window = handshake.pingInterval + handshake.pingTimeout;
      } catch {
        this.#lost('parse error');
        return;
      }
      clearTimeout(this.#timer);
      this.#attempt = 0;
      this.#heartbeat(window);
      this.#write(`0${this.#nsp},${JSON.stringify(this.#auth())}`);
    } else if (type === '2') {
      this.#send('3');
      this.#heartbeat(this.#pingWindow);
    } else if (type === '4') this.#onPacket(frame.slice(1));
  }

  #heartbeat(window: number): void {
    this.#pingWindow = window;
    clearTimeout(this.#pingTimer);
    this.#pingDeadline = Date.now() + window;
    this.#pingTimer = setTimeout(() => this.#lost('ping timeout'), window);
  }

  #onPacket(packet: string): void {
    const m = PACKET.exec(packet);
    const type = m ? +m[1]! : -1;
    let data: unknown;
    try {
      data = m?.[4] ? JSON.parse(m[4]) : undefined;
      // Events and acks carry an argument list; anything else would break the handlers.
      if (!m || ((type === 2 || type === 3) && !Array.isArray(data))) throw new Error('invalid packet');
    } catch {
      // socket.io-client closes a connection that sent what it cannot read, and reconnects.
      this.#lost('parse error');
      return;
    }
    if ((m[2]?.replace(',', '') || '/') !== this.#nsp) return;
    const args = data as unknown[];
    if (type === 0) {
      this.connected = true;
      this.#fire('connect');
    } else if (type === 1) {
      this.active = false;
      this.#close('io server disconnect');
    } else if (type === 2) {
      if (this.connected) this.#fire(...(args as [string, ...unknown[]]));
    } else if (type === 3) {
      const ack = this.#acks.get(+m[3]!);
      this.#acks.delete(+m[3]!);
      ack?.(null, args[0]);
    } else {
      const { message, data: detail } = (data ?? {}) as { message?: string; data?: ConnectError['data'] };
      this.active = false;
      this.#close('transport close');
      this.#fire('connect_error', Object.assign(new Error(message), { data: detail }));
    }
  }

  #send(frame: string): void {
    try {
      this.#ws?.send(frame);
    } catch {
      // Closed a moment ago and the browser has not said so yet: its close event follows.
    }
  }

  #write(packet: string): void {
    // A timer can fire late (a suspended laptop, a locked phone): past the heartbeat's deadline the connection is
    // gone, whatever the WebSocket says. Checked at the next microtask, so no listener runs inside the caller's emit.
    if (Date.now() > this.#pingDeadline) {
      const ws = this.#ws;
      queueMicrotask(() => ws === this.#ws && this.#lost('ping timeout'));
    } else this.#send(`4${packet}`);
  }

  /** The connection was lost or never made: a connect_error unless connected, then a reconnect if still wanted. */
  #lost(reason: DisconnectReason, err?: Error): void {
    if (!this.connected) this.#fire('connect_error', err ?? new Error(reason));
    this.#close(reason);
  }

  /** Closes the WebSocket; a connected socket says `disconnect` and fails the acks still awaited. */
  #close(reason: DisconnectReason): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#pingTimer);
    this.#pingDeadline = Number.POSITIVE_INFINITY;
    const ws = this.#ws;
    if (ws) {
      this.#ws = undefined;
      ws.onmessage = ws.onclose = null;
      // Closing a WebSocket that is still connecting reports an error (which `ws` in Node throws if unheard).
      ws.onerror = () => {};
      // Frames already sent still go out before the close frame.
      ws.close();
    }
    if (this.connected) {
      this.connected = false;
      this.#fire('disconnect', reason);
      const acks = [...this.#acks.values()];
      this.#acks.clear();
      for (const ack of acks) ack(new Error('socket has been disconnected'));
    }
    if (this.active)
      this.#timer = setTimeout(
        () => this.#open(),
        backoff(this.#attempt++, this.#options.reconnectBaseMs, this.#options.reconnectMaxMs),
      );
  }
}
