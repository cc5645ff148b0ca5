// Starting the servers under test: the real Parley gateway (dist/server/main.js, SQLite persistence) and the bare
// Socket.IO relay used as the baseline (bench/relay.mjs). Each runs in its own process.
import path from 'node:path';
import { gatewayScript as builtGateway, GATEWAY_READY } from '../test/support/processes.mjs';
import { root, startServer } from './proc.mjs';

/** The 20 agents of every run: `Agent01:bench-agent-token-01-parley`, ... */
export const AGENTS = Array.from({ length: 20 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return { name: `Agent${n}`, token: `bench-agent-token-${n}-parley` };
});

/**
 * The gateway's abuse limits (demo/server/limits.ts; env read by demo/server/config.ts), set far above anything the
 * benchmark does. Every benchmark socket comes from 127.0.0.1, which the per-address limits would treat as one
 * abusive client; one agent socket sends the replies of all 20 agents (100/s, over the per-socket budget of a single
 * console); and the capacity and storm scenarios open connections faster than the gateway-wide handshake budget.
 * The limiter code still runs on every handshake and event, so its cost is included.
 */
export const GENEROUS_LIMITS = {
  PARLEY_MAX_CONNECTIONS_PER_IP: '100000',
  PARLEY_HANDSHAKES_PER_SECOND: '100000',
  PARLEY_HANDSHAKES_PER_IP: 'off',
  PARLEY_RATE_SOCKET: '100000/100000',
  PARLEY_RATE_SESSION: '100000/100000',
  PARLEY_RATE_IP: '1000000/1000000',
};

export const gatewayScript = () => builtGateway(process.env.PARLEY_DIST ?? 'dist');

/** Starts the gateway on `port` (0 for any) with the SQLite file `dbPath`, or the storage that `env` names. */
export function startGateway({ port, dbPath, env = {}, name = 'gateway', nodeArgs = [] }) {
  return startServer({
    name,
    script: gatewayScript(),
    nodeArgs,
    ready: GATEWAY_READY,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(dbPath ? { PARLEY_DB: dbPath } : {}),
      PARLEY_AGENTS: AGENTS.map((a) => `${a.name}:${a.token}`).join(','),
      ...GENEROUS_LIMITS,
      ...env,
    },
  });
}

/** Starts the bare relay (no persistence, no validation) on `port`. */
export function startRelay({ port, env = {}, name = 'relay', nodeArgs = [] }) {
  return startServer({
    name,
    script: path.join(root, 'bench', 'relay.mjs'),
    nodeArgs,
    ready: /Relay listening on (http:\/\/[\d.]+:\d+)/,
    env: { PORT: String(port), HOST: '127.0.0.1', ...env },
  });
}
