/**
 * A JSON-only stand-in for socket.io-parser, swapped in by build.mjs for the widget bundle: same exports and wire
 * format (`<type>[<namespace>,][<ack id>][<JSON>]`, Socket.IO protocol 5), without binary attachments, which Parley's
 * protocol never uses and which arrive over WebSocket only as separate frames this decoder refuses. A packet it
 * cannot read throws, and the Manager closes the connection with "parse error", as with the original.
 */
import { Emitter } from '@socket.io/component-emitter';

export const protocol = 5;

/**
 * Without BINARY_EVENT (5) and BINARY_ACK (6): the decoder never yields them, so socket.io-client's `case` for them
 * (`case undefined`) never matches.
 */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
} as const;

export interface Packet {
  type: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

export class Encoder {
  encode(p: Packet): string[] {
    return [
      `${p.type}${p.nsp && p.nsp !== '/' ? `${p.nsp},` : ''}${p.id ?? ''}${p.data == null ? '' : JSON.stringify(p.data)}`,
    ];
  }
}

const PACKET = /^([0-4])(\/[^,]*,?)?(\d*)([\s\S]*)$/;

export class Decoder extends Emitter<never, never, { decoded: (p: Packet) => void }> {
  add(frame: unknown): void {
    const m = typeof frame === 'string' ? PACKET.exec(frame) : null;
    if (!m) throw new Error('unsupported packet');
    const p: Packet = { type: +m[1]!, nsp: m[2]?.replace(',', '') || '/' };
    if (m[3]) p.id = +m[3];
    if (m[4]) p.data = JSON.parse(m[4]);
    // Events and acks carry an argument list; anything else would break the socket's handlers.
    if (p.type > 1 && p.type < 4 && !Array.isArray(p.data)) throw new Error('invalid payload');
    this.emitReserved('decoded', p);
  }

  destroy(): void {}
}
