import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AGENT_TOKEN_RULE } from './agents';

/**
 * The generated default agent's token (no `PARLEY_AGENTS`), kept in `file` (mode 0600) so that a restart reuses it and
 * signs no one out. Created by the first start; a file that exists is read, never rewritten. Throws naming the file,
 * never its content, when it holds no usable token.
 */
export function persistedAgentToken(file: string, generate: () => string): string {
  const held = readToken(file);
  if (held !== undefined) return held;
  mkdirSync(dirname(file), { recursive: true });
  try {
    // `wx`: two processes starting at once on the same directory keep one token (the loser reads the winner's).
    writeFileSync(file, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const written = readToken(file);
  if (written === undefined) throw new Error(`cannot keep the agent token in ${file}`);
  return written;
}

function readToken(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the agent token file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  const distinct = new Set(token).size;
  if (token.length < AGENT_TOKEN_RULE.minLength || distinct < AGENT_TOKEN_RULE.minDistinct || /\s/.test(token)) {
    throw new Error(
      `the agent token file ${file} holds no usable token (one line of at least ${AGENT_TOKEN_RULE.minLength} characters); delete it to generate a new one, or set PARLEY_AGENTS`,
    );
  }
  // Group- or world-readable: anyone on the machine could sign in as the agent.
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new Error(`the agent token file ${file} is readable by other users; chmod 600 it`);
  }
  return token;
}
