// The baseline for the latency benchmark: a bare Socket.IO relay with the gateway's transport (WebSocket, same
// Socket.IO version, same namespaces and event shapes) and none of its work: no persistence, no validation, no
// sessions, no summaries. Visitor `send` → ack → `message` to every agent; agent `send` → ack → `message` to the
// visitor's room and to the other agents (the same fan-out as the gateway).
// Run as its own process: PORT=0 HOST=127.0.0.1 node bench/relay.mjs
// With REDIS_URL (and RELAY_PREFIX), several relays share rooms through the same Redis adapter as the gateway's
// cluster (@socket.io/redis-adapter), the baseline for the two-process run: the cost of sharing, without Parley.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
const io = new Server(server, { serveClient: false, transports: ['websocket'], maxHttpBufferSize: 64 * 1024 });
if (process.env.REDIS_URL) {
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  // As the gateway does (demo/server/redis.ts): a Redis error or a failed publish is logged, never a crash.
  for (const client of [pub, sub]) client.on('error', (err) => console.error(`relay: redis: ${err?.message ?? err}`));
  await Promise.all([pub.connect(), sub.connect()]);
  const publish = pub.publish.bind(pub);
  pub.publish = (...args) => publish(...args).catch((err) => console.error(`relay: publish: ${err?.message ?? err}`));
  io.adapter(createAdapter(pub, sub, { key: `${process.env.RELAY_PREFIX ?? 'relay'}:io` }));
}
const visitors = io.of('/visitor');
const agents = io.of('/agent');

let conversations = 0;
let messages = 0;
/** Per-conversation counter, so acks carry a `seq` like the gateway's (kept in memory only). */
const seqs = new Map();
const nextSeq = (conversationId) => {
  const seq = (seqs.get(conversationId) ?? 0) + 1;
  seqs.set(conversationId, seq);
  return seq;
};

visitors.on('connection', (socket) => {
  // Unique across relays sharing Redis: an agent on another relay replies to it.
  const conversationId = `relay${process.pid}-${++conversations}`;
  void socket.join(`conv:${conversationId}`);
  socket.emit('welcome', {
    session: null,
    conversationId,
    status: 'open',
    presence: 'online',
    messages: [],
    more: false,
  });
  socket.on('send', (p, ack) => {
    const message = {
      id: `m${++messages}`,
      conversationId,
      seq: nextSeq(conversationId),
      author: 'visitor',
      clientId: p?.clientId,
      text: p?.text,
      createdAt: Date.now(),
    };
    if (typeof ack === 'function') ack({ ok: true, message, duplicate: false });
    agents.to('agents').emit('message', message);
  });
  socket.on('disconnect', () => seqs.delete(conversationId));
});

agents.on('connection', (socket) => {
  void socket.join('agents');
  socket.emit('welcome', { name: 'relay', agents: [] });
  socket.on('send', (p, ack) => {
    const conversationId = String(p?.conversationId);
    const message = {
      id: `m${++messages}`,
      conversationId,
      seq: nextSeq(conversationId),
      author: 'agent',
      clientId: p?.clientId,
      text: p?.text,
      createdAt: Date.now(),
    };
    if (typeof ack === 'function') ack({ ok: true, message, duplicate: false });
    visitors.to(`conv:${conversationId}`).emit('message', message);
    socket.to('agents').emit('message', message);
  });
});

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => {
  console.log(`Relay listening on http://${host}:${server.address().port}`);
});
const stop = () => {
  io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
