import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The token of a conversation's Reply-To address (`reply+<token>@domain`): an HMAC-SHA256 of its id, 128 bits in lower
 * case hex, so it survives mail systems that fold the local part's case, and reveals nothing about the id.
 */
export function replyToken(secret: string, conversationId: string): string {
  return createHmac('sha256', secret).update(`reply:${conversationId}`).digest('hex').slice(0, 32);
}

/** The token of a `reply+<token>@…` address, or undefined for any other address. */
export function tokenOfAddress(address: string, domain: string): string | undefined {
  const match = /^reply\+([0-9a-f]{32})@(.+)$/i.exec(address.trim());
  if (!match || match[2]!.toLowerCase() !== domain.toLowerCase()) return undefined;
  return match[1]!.toLowerCase();
}

/**
 * The secret the tokens are made with: `PARLEY_MAIL_SECRET` when set, otherwise one generated on first start and kept
 * in `mail-secret` next to the SQLite file (mode 0600), so tokens stay valid across restarts. Tokens are also stored
 * (`reply_tokens`), so processes with different secrets still route each other's replies.
 */
export function loadMailSecret(dbPath: string, configured?: string): string {
  if (configured) return configured;
  const file = join(dirname(dbPath), 'mail-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dirname(file), { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    // `wx`: of two processes starting together, the second fails here and reads the first one's.
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      return secret;
    } catch {
      return readFileSync(file, 'utf8').trim();
    }
  }
}
