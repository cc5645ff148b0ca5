import type { Server, Socket } from 'socket.io';
import type { ErrorCode, SendPayload } from '../../src/protocol';

/**
 * Faults on the visitor `send` path of a real gateway, installed from the test side: a Socket.IO middleware on every
 * visitor socket that wraps the ack callback of `send`. The gateway's own code runs unchanged; only what reaches the
 * widget differs, as when a network drops or holds back a packet.
 */
export interface SendFaults {
  /** Client ids of every `send` that reached the gateway, in arrival order. */
  attempts: string[];
  /** The gateway stores the next `count` sends but their acks never leave (the widget times out and retries). */
  dropAcks(count: number): void;
  /** The acks of the next `count` sends leave `ms` late (after the widget's ack timeout when `ms` exceeds it). */
  delayAcks(count: number, ms: number): void;
  /** The next sends are answered with these error codes, one each, without reaching the gateway's handler. */
  refuse(...codes: ErrorCode[]): void;
}

type Ack = (answer: unknown) => void;

/** Installs the faults on `io`'s visitor namespace, for every socket that connects from now on. */
export function faultSends(io: Server): SendFaults {
  let drops = 0;
  let delays: { count: number; ms: number } = { count: 0, ms: 0 };
  const refusals: ErrorCode[] = [];
  const faults: SendFaults = {
    attempts: [],
    dropAcks: (count) => {
      drops = count;
    },
    delayAcks: (count, ms) => {
      delays = { count, ms };
    },
    refuse: (...codes) => refusals.push(...codes),
  };
  io.of('/visitor').on('connection', (socket: Socket) =>
    socket.use((packet, next) => {
      const [event, payload] = packet as [string, SendPayload | undefined];
      const ack = packet.at(-1);
      if (event !== 'send' || typeof ack !== 'function') return next();
      faults.attempts.push(String(payload?.clientId));
      const code = refusals.shift();
      if (code) return (ack as Ack)({ ok: false, code, message: `injected ${code}` });
      if (drops > 0) {
        drops--;
        packet[packet.length - 1] = () => {};
      } else if (delays.count > 0) {
        delays.count--;
        const { ms } = delays;
        packet[packet.length - 1] = (answer: unknown) => setTimeout(() => (ack as Ack)(answer), ms);
      }
      next();
    }),
  );
  return faults;
}
