import { type ErrorAck, LIMITS } from '../../src/protocol';
import type { Logger } from './log';

/**
 * Bounds the bytes the gateway holds for one client connection that does not read. Engine.IO queues every packet it
 * cannot write yet (its `writeBuffer`: while the WebSocket transport waits for the previous batch's write callback,
 * or a polling client has no request open), and the WebSocket (`ws`) queues what the kernel will not take yet
 * (`bufferedAmount`); with long-polling, each batch goes to the response of a pending GET, whose socket holds what the
 * client does not read. None has a limit: a client that stops reading while asking for history made the gateway
 * buffer gigabytes. Here they are counted for every packet queued, and a connection over its cap is closed.
 */

/**
 * The default cap: four pages of replies (`LIMITS.pageBytes`). A client that reads is answered a page at a time and
 * stays far below it, even on a slow link; one that stops reading costs 1 MB of buffers at most (50 MB for the 50
 * connections one address may hold), plus what the kernel buffers for its socket.
 */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 * LIMITS.pageBytes;
/** A page has to fit, with room left for what is broadcast meanwhile. */
export const MIN_SOCKET_BUFFER_BYTES = 2 * LIMITS.pageBytes;

/** What is read of an Engine.IO connection (engine.io's `Socket`). */
export interface EngineConnection {
  readonly transport: { readonly name: string };
  on(event: 'packetCreate', fn: (packet: { data?: unknown }) => void): unknown;
  on(event: 'flush' | 'close', fn: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** The `ws` WebSocket under Engine.IO's WebSocket transport. */
interface RawWebSocket {
  readonly bufferedAmount: number;
  terminate(): void;
}

/** The TCP socket of a long-polling response. */
interface ResponseSocket {
  readonly writableLength: number;
  readonly destroyed: boolean;
  destroy(): void;
}

export interface SendBuffer {
  /** Bytes queued for the client that the kernel has not taken yet: Engine.IO's write buffer plus the WebSocket's. */
  queued(): number;
  /**
   * Reserves room for a reply of up to `bytes` before the work that produces it, so a burst of requests cannot all
   * be answered before the first answer is counted. Returns a function that gives the room back once the reply is
   * queued, or undefined when the connection cannot take it (its buffer is full, or is being closed).
   */
  reserve(bytes: number): (() => void) | undefined;
  /**
   * `reserve`, in turn: waits until the previous `reserveInTurn` of this connection was given back (its reply is
   * then counted in `queued`), so a burst of page requests is answered one page at a time, each only while there is
   * room for it, instead of all being read from the store at once. At most `MAX_WAITING` are in line; more get
   * undefined.
   */
  reserveInTurn(bytes: number): Promise<(() => void) | undefined>;
}

/** Page requests of one connection that may wait for their turn (their payloads are a few bytes each). */
export const MAX_WAITING = 32;

export interface SendBufferOptions {
  capBytes: number;
  logger: Logger;
  /** Who the connection belongs to, for the log line. */
  address: string;
}

const buffers = new WeakMap<object, SendBuffer>();

/** Starts counting `conn`'s outgoing bytes; closes it, with a log line, as soon as they exceed `capBytes`. */
export function watchSendBuffer(conn: EngineConnection, options: SendBufferOptions): SendBuffer {
  const { capBytes, logger, address } = options;
  // Bytes in Engine.IO's write buffer: counted as packets enter it, zeroed when a flush hands it to the transport.
  let writeBuffer = 0;
  let reserved = 0;
  let closing = false;
  // Sockets of long-polling responses the client has not read in full yet.
  const responses = new Set<ResponseSocket>();
  const unreadResponses = () => {
    let bytes = 0;
    for (const socket of responses) {
      if (socket.destroyed || socket.writableLength === 0) responses.delete(socket);
      else bytes += socket.writableLength;
    }
    return bytes;
  };
  const queued = () => writeBuffer + (webSocketOf(conn)?.bufferedAmount ?? 0) + unreadResponses();

  const close = () => {
    logger.warn('connection closed: it does not read its replies', {
      address,
      transport: conn.transport.name,
      queuedBytes: queued(),
      capBytes,
    });
    const ws = webSocketOf(conn);
    conn.close(true);
    // `close()` starts the WebSocket closing handshake, whose frame would wait behind everything queued for up to
    // 30 s: drop the connection and its buffers now. Unread polling responses are on sockets of their own.
    ws?.terminate();
    for (const socket of responses) socket.destroy();
    responses.clear();
  };

  conn.on('packetCreate', (packet) => {
    writeBuffer += packetBytes(packet);
    if (closing || queued() <= capBytes) return;
    closing = true;
    // Not from inside the emit that queued this packet (an ack, a room broadcast): its caller is still iterating.
    process.nextTick(close);
  });
  conn.on('flush', () => {
    writeBuffer = 0;
    // Long-polling flushes only into a pending GET: its response, written right after this, carries the batch.
    const socket = pollingResponseSocketOf(conn);
    if (socket) responses.add(socket);
  });
  // Page requests still in line when the client leaves would be answered to nobody.
  conn.on('close', () => {
    closing = true;
  });

  const reserve = (bytes: number) => {
    if (closing || queued() + reserved + bytes > capBytes) return undefined;
    reserved += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      reserved -= bytes;
    };
  };
  const inTurn = inTurns(reserve);
  const reserveInTurn = (bytes: number) => (closing ? Promise.resolve(undefined) : inTurn(bytes));

  const buffer: SendBuffer = { queued, reserve, reserveInTurn };
  buffers.set(conn, buffer);
  return buffer;
}

/** `reserve`, one reservation at a time: each waits until the previous one was given back (see `reserveInTurn`). */
function inTurns(reserve: SendBuffer['reserve']): SendBuffer['reserveInTurn'] {
  // Settles when the last turn taken is given back.
  let lastTurn = Promise.resolve();
  let waiting = 0;
  return (bytes) => {
    if (waiting >= MAX_WAITING) return Promise.resolve(undefined);
    waiting++;
    let turnOver!: () => void;
    const previous = lastTurn;
    lastTurn = new Promise<void>((resolve) => {
      turnOver = resolve;
    });
    // Each turn starts from the event loop, not from the microtask queue: a burst of page requests then takes turns
    // with everything else the process serves (other connections, `/healthz`) instead of holding it for its length.
    return previous.then(nextLoopTurn).then(() => {
      waiting--;
      const release = reserve(bytes);
      if (!release) {
        turnOver();
        return undefined;
      }
      return () => {
        release();
        turnOver();
      };
    });
  };
}

/** The `SendBuffer` of a connection watched by `watchSendBuffer`. */
export function sendBufferOf(conn: object): SendBuffer | undefined {
  return buffers.get(conn);
}

const nothing = () => {};
const nextLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const NO_ROOM: ErrorAck = {
  ok: false,
  code: 'rate_limited',
  message: 'earlier replies are still waiting to be read; retry later',
};

/**
 * The `room` check of `register()` for the sockets of connection `conn`. The reply of a `paged` event (a page of
 * messages or conversations: up to `LIMITS.pageBytes` from a request of a few bytes) reserves a page of the send
 * buffer, in turn, before its handler runs; any other event only needs the buffer under its cap, its reply being no
 * larger than what the client sent.
 */
export function replyRoom(
  conn: object,
  paged: readonly string[],
): (event: string) => ErrorAck | (() => void) | Promise<ErrorAck | (() => void)> {
  const pagedEvents = new Set(paged);
  return (event) => {
    const buffer = sendBufferOf(conn);
    if (!buffer) return nothing;
    if (pagedEvents.has(event)) return buffer.reserveInTurn(LIMITS.pageBytes).then((release) => release ?? NO_ROOM);
    return buffer.reserve(0) ?? NO_ROOM;
  };
}

function webSocketOf(conn: EngineConnection): RawWebSocket | undefined {
  if (conn.transport.name !== 'websocket') return undefined;
  const ws = (conn.transport as { socket?: Partial<RawWebSocket> }).socket;
  return typeof ws?.bufferedAmount === 'number' ? (ws as RawWebSocket) : undefined;
}

function pollingResponseSocketOf(conn: EngineConnection): ResponseSocket | undefined {
  if (conn.transport.name !== 'polling') return undefined;
  const socket = (conn.transport as { res?: { socket?: Partial<ResponseSocket> | null } | null }).res?.socket;
  return typeof socket?.writableLength === 'number' ? (socket as ResponseSocket) : undefined;
}

/** Bytes of an Engine.IO packet on the wire: its one-character type plus its data. */
function packetBytes(packet: { data?: unknown }): number {
  const { data } = packet;
  if (typeof data === 'string') return 1 + Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return 1 + data.byteLength;
  return 1;
}
