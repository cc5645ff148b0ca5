import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpHandler, type HttpOptions } from './http';
import {
  type ConnectionCap,
  capConnectionsPerAddress,
  DEFAULT_HTTP_TIMEOUTS,
  type HttpTimeouts,
  httpServerOptions,
  tcpConnectionsPerIp,
} from './http-guards';
import type { Limits } from './limits';
import type { Logger } from './log';

export interface HttpServerOptions {
  distDir: string;
  logger: Logger;
  limits: Limits;
  trustProxy: number;
  httpTimeouts?: Partial<HttpTimeouts> | undefined;
  health: HttpOptions['health'];
  routes?: HttpOptions['routes'];
}

/** The HTTP server Socket.IO attaches to: static files and `/healthz`, with its timeouts and per-address TCP cap. */
export function createHttpServer(options: HttpServerOptions): { server: HttpServer; connectionCap: ConnectionCap } {
  const { logger } = options;
  const server = createServer(
    httpServerOptions({ ...DEFAULT_HTTP_TIMEOUTS, ...options.httpTimeouts }),
    createHttpHandler({ distDir: options.distDir, logger, health: options.health, routes: options.routes }),
  );
  const connectionCap = capConnectionsPerAddress(server, {
    max: tcpConnectionsPerIp(options.limits),
    behindProxy: options.trustProxy > 0,
    logger,
  });
  return { server, connectionCap };
}

/** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:3000` (the real port when `port` is 0). */
export function listen(server: HttpServer, port: number, host: string, logger: Logger): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: actual } = server.address() as AddressInfo;
      logger.info('listening', { host, port: actual });
      resolvePromise(`http://${host.includes(':') ? `[${host}]` : host}:${actual}`);
    });
  });
}
