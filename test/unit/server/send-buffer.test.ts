// @vitest-environment node
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../../../demo/server/log';
import { register } from '../../../demo/server/router';
import { MAX_WAITING, replyRoom, sendBufferOf, watchSendBuffer } from '../../../demo/server/send-buffer';
import { visitorEvents } from '../../../demo/server/validate';
import { type Ack, LIMITS, type VisitorClientEvents } from '../../../src/protocol';

/**
 * The per-connection send buffer, against a stand-in for an Engine.IO connection that emits what engine.io 6 emits:
 * `packetCreate` as a packet enters its write buffer, `flush` as the buffer goes to the transport, whose `ws` socket
 * then holds the bytes (`bufferedAmount`) until the kernel takes them.
 */
class Connection extends EventEmitter {
  readonly ws = { bufferedAmount: 0, terminate: vi.fn() };
  readonly transport: { name: string; socket?: Connection['ws']; res?: { socket: ResponseSocket } | null };
  readonly close = vi.fn();

  constructor(transport: 'websocket' | 'polling' = 'websocket') {
    super();
    this.transport = transport === 'websocket' ? { name: transport, socket: this.ws } : { name: transport };
  }

  /** Long-polling: a GET is pending on `socket`, and the next flush answers it. */
  poll(socket: ResponseSocket): void {
    this.transport.res = { socket };
  }

  queue(data?: string | Buffer): void {
    this.emit('packetCreate', { type: 'message', ...(data === undefined ? {} : { data }) });
  }

  flush(): void {
    this.emit('flush');
  }
}

/** The TCP socket of a long-polling response, holding `writableLength` bytes the client has not read. */
interface ResponseSocket {
  writableLength: number;
  destroyed: boolean;
  destroy(): void;
}
const responseSocket = (): ResponseSocket => ({
  writableLength: 0,
  destroyed: false,
  destroy: vi.fn(function (this: ResponseSocket) {
    this.destroyed = true;
  }),
});

const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe('send buffer', () => {
  it('counts what Engine.IO and the WebSocket hold, in bytes on the wire', () => {
    const conn = new Connection();
    const buffer = watchSendBuffer(conn, { capBytes: 1 << 20, logger: silentLogger, address: '203.0.113.7' });
    expect(buffer.queued()).toBe(0);
    conn.queue('42["x"]');
    conn.queue('😀é');
    conn.queue(Buffer.alloc(10));
    conn.queue();
    // Each packet: its type character plus its data in UTF-8.
    expect(buffer.queued()).toBe(8 + 7 + 11 + 1);
    // Handed to the transport: now the WebSocket's to count.
    conn.flush();
    expect(buffer.queued()).toBe(0);
    conn.ws.bufferedAmount = 5000;
    conn.queue('3');
    expect(buffer.queued()).toBe(5002);
    expect(sendBufferOf(conn)).toBe(buffer);

    // Long-polling: what waits for the next poll, plus what earlier responses still hold on their sockets.
    const polling = new Connection('polling');
    const pollBuffer = watchSendBuffer(polling, { capBytes: 1 << 20, logger: silentLogger, address: 'x' });
    polling.queue('abc');
    expect(pollBuffer.queued()).toBe(4);
    const [first, second] = [responseSocket(), responseSocket()];
    polling.poll(first);
    polling.flush();
    first.writableLength = 3000;
    polling.poll(second);
    polling.flush();
    second.writableLength = 500;
    expect(pollBuffer.queued()).toBe(3500);
    first.writableLength = 0;
    expect(pollBuffer.queued()).toBe(500);
  });

  it('closes a long-polling connection whose unread responses pass the cap, and drops their sockets', async () => {
    const conn = new Connection('polling');
    watchSendBuffer(conn, { capBytes: 1000, logger: silentLogger, address: 'x' });
    const sockets = [responseSocket(), responseSocket(), responseSocket()];
    for (const socket of sockets) {
      conn.poll(socket);
      conn.queue('x'.repeat(399));
      conn.flush();
      socket.writableLength = 400;
    }
    conn.queue('2');
    await tick();
    expect(conn.close).toHaveBeenCalledExactlyOnceWith(true);
    for (const socket of sockets) expect(socket.destroy).toHaveBeenCalledOnce();
  });

  it('closes a connection over its cap, once, right after the emit that queued the packet, and logs why', async () => {
    const lines: string[] = [];
    const conn = new Connection();
    watchSendBuffer(conn, {
      capBytes: 1000,
      logger: createLogger('info', (line) => lines.push(line)),
      address: '203.0.113.7',
    });
    conn.ws.bufferedAmount = 900;
    conn.queue('x'.repeat(99));
    await tick();
    expect(conn.close).not.toHaveBeenCalled();
    conn.queue('y');
    // Not from inside the emit: a broadcast queueing to many connections is still iterating.
    expect(conn.close).not.toHaveBeenCalled();
    await tick();
    expect(conn.close).toHaveBeenCalledExactlyOnceWith(true);
    // The WebSocket goes at once, rather than after a closing handshake stuck behind the queued bytes.
    expect(conn.ws.terminate).toHaveBeenCalledOnce();
    conn.queue('z');
    await tick();
    expect(conn.close).toHaveBeenCalledOnce();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'connection closed: it does not read its replies',
        address: '203.0.113.7',
        transport: 'websocket',
        queuedBytes: 1002,
        capBytes: 1000,
      }),
    ]);
  });

  it('reserves room for replies before the work, and gives it back once', () => {
    const conn = new Connection();
    const buffer = watchSendBuffer(conn, { capBytes: 1000, logger: silentLogger, address: 'x' });
    const first = buffer.reserve(600);
    expect(first).toBeTypeOf('function');
    expect(buffer.reserve(600)).toBeUndefined();
    first!();
    first!();
    const second = buffer.reserve(600);
    expect(second).toBeTypeOf('function');
    // What is already queued counts as well.
    second!();
    conn.queue('q'.repeat(499));
    expect(buffer.reserve(500)).toBeTypeOf('function');
    expect(buffer.reserve(1)).toBeUndefined();
    // A reply of no size only needs the buffer under its cap, and nothing at all once it is being closed.
    expect(buffer.reserve(0)).toBeTypeOf('function');
    conn.queue('q'.repeat(600));
    expect(buffer.reserve(0)).toBeUndefined();
  });

  it('reserves a page for paged events, in turn, and refuses with rate_limited when there is no room', async () => {
    const conn = new Connection();
    watchSendBuffer(conn, { capBytes: 2 * LIMITS.pageBytes, logger: silentLogger, address: 'x' });
    const room = replyRoom(conn, ['history']);
    const first = await room('history');
    expect(first).toBeTypeOf('function');
    // The second page waits for the first to be answered.
    let second: unknown;
    void Promise.resolve(room('history')).then((value) => {
      second = value;
    });
    await tick();
    expect(second).toBeUndefined();
    (first as () => void)();
    await vi.waitFor(() => expect(second).toBeTypeOf('function'));
    // Its reply queued (a page the client does not read), no room is left for a third.
    conn.queue('p'.repeat(LIMITS.pageBytes));
    (second as () => void)();
    expect(await room('history')).toEqual({
      ok: false,
      code: 'rate_limited',
      message: 'earlier replies are still waiting to be read; retry later',
    });
    // Other events need no more than the buffer under its cap.
    expect(room('typing')).toBeTypeOf('function');
    // A connection nobody watches (none, in a running gateway) is never refused.
    expect(replyRoom(new Connection(), ['history'])('history')).toBeTypeOf('function');
  });

  it('answers nothing more once the connection is closed: page requests in line are refused without work', async () => {
    const conn = new Connection();
    watchSendBuffer(conn, { capBytes: 4 * LIMITS.pageBytes, logger: silentLogger, address: 'x' });
    const room = replyRoom(conn, ['history']);
    const first = room('history');
    const second = room('history');
    conn.emit('close');
    expect(await first).toMatchObject({ code: 'rate_limited' });
    expect(await second).toMatchObject({ code: 'rate_limited' });
    expect(room('typing')).toMatchObject({ code: 'rate_limited' });
  });

  describe("a burst of page requests, as a client's frames arrive in one read", () => {
    /** `register()` on a stand-in socket of `conn`, whose `history` handler answers after `delay` with a page. */
    function server(conn: Connection, delay: () => Promise<void>) {
      const socket = Object.assign(new EventEmitter(), { id: 's', onAny: () => {} });
      const stats = { pagesRead: 0, running: 0, mostAtOnce: 0 };
      const page = { messages: [{ text: 'm'.repeat(LIMITS.pageBytes - 1000) }], more: true };
      register<VisitorClientEvents, typeof visitorEvents>(
        { logger: silentLogger, track: (work) => work },
        socket,
        visitorEvents,
        {
          send: async () => {
            throw new Error('not sent in this test');
          },
          history: async () => {
            stats.pagesRead++;
            stats.mostAtOnce = Math.max(stats.mostAtOnce, ++stats.running);
            await delay();
            stats.running--;
            return page as unknown as { messages: []; more: boolean };
          },
          typing: async () => ({}),
          read: async () => ({}),
          email: async () => ({}),
          transcript: async () => ({ to: '' }),
          rate: async () => ({ rating: {} }),
          page: async () => ({}),
          end: async () => ({}),
        },
        { room: replyRoom(conn, ['history']) },
      );
      const acks: Ack[] = [];
      // The ack is written to the connection, as Socket.IO does.
      const burst = (count: number) => {
        for (let i = 0; i < count; i++) {
          socket.emit('history', { afterSeq: 0 }, (ack: Ack) => {
            acks.push(ack);
            conn.queue(`43/visitor,${i}${JSON.stringify([ack])}`);
          });
        }
      };
      return { stats, acks, burst, socket };
    }
    const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

    it('from a client that does not read: pages until the buffer is full, then refusals, no work', async () => {
      const conn = new Connection();
      watchSendBuffer(conn, { capBytes: 4 * LIMITS.pageBytes, logger: silentLogger, address: 'x' });
      const { stats, acks, burst, socket } = server(conn, async () => {});
      burst(10);
      const typed: Ack[] = [];
      socket.emit('typing', { typing: true }, (ack: Ack) => typed.push(ack));
      await settled();
      expect(stats).toEqual({ pagesRead: 4, running: 0, mostAtOnce: 1 });
      expect(acks.map((ack) => ack.ok)).toEqual([true, true, true, true, false, false, false, false, false, false]);
      expect(acks.at(-1)).toMatchObject({ code: 'rate_limited' });
      expect(typed).toEqual([{ ok: true }]);
    });

    it('from a client that reads: every page, one at a time', async () => {
      const conn = new Connection();
      watchSendBuffer(conn, { capBytes: 4 * LIMITS.pageBytes, logger: silentLogger, address: 'x' });
      // What is queued goes straight to a WebSocket whose kernel buffer takes it all.
      conn.on('packetCreate', () => conn.flush());
      const { stats, acks, burst } = server(conn, () => new Promise((resolve) => setImmediate(resolve)));
      burst(10);
      await vi.waitFor(() => expect(acks).toHaveLength(10));
      expect(acks.every((ack) => ack.ok)).toBe(true);
      expect(stats).toEqual({ pagesRead: 10, running: 0, mostAtOnce: 1 });
    });

    it(`lines up at most ${MAX_WAITING} and refuses the rest at once`, async () => {
      const conn = new Connection();
      watchSendBuffer(conn, { capBytes: 4 * LIMITS.pageBytes, logger: silentLogger, address: 'x' });
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      conn.on('packetCreate', () => conn.flush());
      const { stats, acks, burst } = server(conn, () => gate);
      burst(MAX_WAITING + 8);
      await settled();
      // MAX_WAITING in line (the first of them running), the others refused without waiting.
      expect(acks).toHaveLength(8);
      expect(acks.every((ack) => !ack.ok && ack.code === 'rate_limited')).toBe(true);
      open();
      await vi.waitFor(() => expect(acks).toHaveLength(MAX_WAITING + 8));
      expect(stats.pagesRead).toBe(MAX_WAITING);
    });
  });
});
