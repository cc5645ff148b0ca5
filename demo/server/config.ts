import { randomBytes } from 'node:crypto';
import type { AgentConfig } from './agents';

export interface Config {
  port: number;
  host: string;
  dbPath: string;
  dbSync: 'normal' | 'full';
  agents: AgentConfig[];
  /** True when the single agent's token was generated and must be printed. */
  generatedToken: boolean;
  origins: string[];
}

/** Reads the gateway's environment (see docs/ARCHITECTURE.md). Throws an Error naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  }
  const dbSync = (env.PARLEY_DB_SYNC ?? 'normal').toLowerCase();
  if (dbSync !== 'normal' && dbSync !== 'full') {
    throw new Error(`PARLEY_DB_SYNC must be "normal" or "full", got "${env.PARLEY_DB_SYNC}"`);
  }
  const agents = env.PARLEY_AGENTS?.trim() ? parseAgents(env.PARLEY_AGENTS) : undefined;
  return {
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    dbPath: env.PARLEY_DB?.trim() || './data/parley.db',
    dbSync,
    agents: agents ?? [{ name: 'Agent', token: randomBytes(18).toString('base64url') }],
    generatedToken: agents === undefined,
    origins: (env.PARLEY_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  };
}

/** Parses `name:token,name:token`; the token is everything after the first colon. */
export function parseAgents(value: string): AgentConfig[] {
  const agents: AgentConfig[] = [];
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const name = colon === -1 ? '' : entry.slice(0, colon).trim();
    const token = colon === -1 ? '' : entry.slice(colon + 1).trim();
    // Never echo the entry: it may hold a token.
    if (!name || !token) {
      throw new Error(`PARLEY_AGENTS entry ${index + 1} is malformed: expected name:token, e.g. Ana:s3cret,Ben:t0ken`);
    }
    if (agents.some((agent) => agent.name === name)) {
      throw new Error(`PARLEY_AGENTS names agent "${name}" twice`);
    }
    agents.push({ name, token });
  });
  return agents;
}
