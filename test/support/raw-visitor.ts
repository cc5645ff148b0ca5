import { io, type Socket } from 'socket.io-client';
import type { VisitorWelcome } from '../../src/protocol';

/** A visitor speaking the protocol from Node, recording every Engine.IO frame it receives (as text). */
export interface RawVisitor {
  socket: Socket;
  welcome: VisitorWelcome;
  frames: string[];
  send(text: string): Promise<{ conversationId: string }>;
}

let sent = 0;

/** Connects a visitor of `site` (a new session, or `session`) and waits for its welcome. */
export async function rawVisitor(url: string, auth: { site?: string; session?: string } = {}): Promise<RawVisitor> {
  const socket = io(`${url}/visitor`, {
    auth: { v: 1, site: auth.site ?? 'demo', ...(auth.session ? { session: auth.session } : {}) },
    transports: ['websocket'],
    forceNew: true,
  });
  const frames: string[] = [];
  socket.io.on('open', () => socket.io.engine.on('data', (data: unknown) => frames.push(String(data))));
  const welcome = await new Promise<VisitorWelcome>((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', reject);
  });
  return {
    socket,
    welcome,
    frames,
    async send(text) {
      const ack = await socket.timeout(10_000).emitWithAck('send', { clientId: `raw-visitor-${++sent}`, text });
      if (!ack.ok) throw new Error(`send refused: ${JSON.stringify(ack)}`);
      return { conversationId: ack.message.conversationId };
    },
  };
}
