import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import { LIMITS, NAMESPACE } from '../../src/protocol';
import type { AgentNamespace, VisitorNamespace } from './handler-context';
import type { Logger } from './log';
import type { MemoryBudget } from './memory-budget';
import type { OriginPolicy } from './origins';
import { refusal } from './refusal';
import { type EngineConnection, watchSendBuffer } from './send-buffer';
import type { Shield } from './shield';

export interface SocketServerOptions {
  origins: OriginPolicy;
  shield: Shield;
  memory: MemoryBudget;
  /** Bytes queued for one connection that does not read its replies before it is closed. */
  socketBufferBytes: number;
  logger: Logger;
  /** Socket.IO's Redis adapter in cluster mode. */
  adapter?: ServerOptions['adapter'] | undefined;
}

/**
 * The Socket.IO server with the guards that run before any namespace handler: the memory budget and the handshake
 * limits on every new Engine.IO connection, the send-buffer cap on every connection, the memory budget again on every
 * namespace socket. The default namespace is refused.
 */
export function createSocketServer(
  server: HttpServer,
  options: SocketServerOptions,
): { io: Server; visitors: VisitorNamespace; agents: AgentNamespace } {
  const { shield, memory, logger } = options;
  const ioOptions: Partial<ServerOptions> = {
    maxHttpBufferSize: LIMITS.maxPayloadBytes,
    serveClient: false,
    transports: ['websocket', 'polling'],
    // Checked for every new Engine.IO connection, before the WebSocket upgrade: refused ones cost almost nothing.
    allowRequest: (req, callback) =>
      memory.allows() ? shield.allowRequest(req, callback) : callback('rate_limited', false),
    // Not `connectionStateRecovery`: every reconnection runs the namespace middlewares (origin, session, token).
  };
  if (options.origins.cors) ioOptions.cors = { origin: options.origins.cors, methods: ['GET', 'POST'] };
  if (options.adapter) ioOptions.adapter = options.adapter;
  const io = new Server(server, ioOptions);
  io.engine.on('connection', (conn: Parameters<typeof shield.trackConnection>[0] & EngineConnection) => {
    shield.trackConnection(conn);
    watchSendBuffer(conn, { capBytes: options.socketBufferBytes, logger, address: shield.address(conn.request) });
  });
  const visitors = io.of(NAMESPACE.visitor) as unknown as VisitorNamespace;
  const agents = io.of(NAMESPACE.agent) as unknown as AgentNamespace;
  // Connections already open may start more namespace sockets (each a welcome page): the budget holds for them too.
  for (const namespace of [visitors, agents] as const) {
    namespace.use((_socket, next) =>
      memory.allows() ? next() : next(refusal('rate_limited', 'the server is busy; retry in a minute')),
    );
  }
  // The default namespace serves nothing; refuse it rather than hold idle sockets.
  io.use((_socket, next) => next(new Error('use the /visitor or /agent namespace')));
  return { io, visitors, agents };
}
