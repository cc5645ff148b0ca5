import * as real from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { Decoder, Encoder, type Packet, PacketType } from '../../../src/app/socket-parser';

/** Packets of every kind the widget sends or receives, in and out of a namespace. */
const PACKETS: Packet[] = [
  { type: PacketType.CONNECT, nsp: '/visitor', data: { sid: 'abc', pid: 'p1' } },
  { type: PacketType.CONNECT, nsp: '/visitor', data: { v: 1, site: 'acme', lastSeq: 0 } },
  { type: PacketType.DISCONNECT, nsp: '/visitor' },
  { type: PacketType.EVENT, nsp: '/visitor', data: ['message', { text: 'a, b 12 ["x"] é 😀', seq: 3 }] },
  { type: PacketType.EVENT, nsp: '/visitor', id: 12, data: ['send', { clientId: 'c1', text: '42' }] },
  { type: PacketType.ACK, nsp: '/visitor', id: 12, data: [{ ok: true }] },
  { type: PacketType.CONNECT_ERROR, nsp: '/visitor', data: { message: 'refused', data: { code: 'forbidden' } } },
  { type: PacketType.EVENT, nsp: '/', data: ['typing', { typing: true }] },
];

const decodeWith = (decoder: { add(s: string): void; on(ev: 'decoded', fn: (p: Packet) => void): unknown }) => {
  const out: Packet[] = [];
  decoder.on('decoded', (p) => out.push(p));
  return (frame: string) => {
    decoder.add(frame);
    return out.pop();
  };
};

describe('the JSON-only socket.io parser bundled into the widget', () => {
  it('writes exactly what socket.io-parser writes', () => {
    for (const p of PACKETS) expect(new Encoder().encode(p)).toEqual(new real.Encoder().encode(p as real.Packet));
  });

  it('reads what socket.io-parser writes, as socket.io-parser reads it', () => {
    const ours = decodeWith(new Decoder());
    const theirs = decodeWith(new real.Decoder() as never);
    for (const p of PACKETS) {
      const [frame] = new real.Encoder().encode(p as real.Packet) as string[];
      expect(ours(frame!)).toEqual(theirs(frame!));
      expect(ours(frame!)).toEqual(p);
    }
  });

  it('refuses binary packets, unknown types, bad JSON and events without an argument list', () => {
    const decoder = new Decoder();
    for (const frame of ['51-/visitor,["file",{"_placeholder":true,"num":0}]', '9', '2/visitor,{oops', '2/visitor,{}'])
      expect(() => decoder.add(frame)).toThrow();
    expect(() => decoder.add(new ArrayBuffer(4) as never)).toThrow();
  });
});
