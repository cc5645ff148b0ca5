import { createHash, randomBytes } from 'node:crypto';
import type { VisitorWelcome } from '../../src/protocol';
import type { SessionRecord, Store, VisitorMeta } from './store/types';

/** A session unused for this long is forgotten: its token no longer opens the conversation. */
export const SESSION_TTL_MS = 180 * 24 * 60 * 60 * 1000;

/** A new bearer token: 32 random bytes, base64url. Only its hash is ever stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex; a fast hash is enough because tokens carry 256 bits of entropy, unlike passwords. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface ResolvedSession {
  session: SessionRecord;
  /** The token to hand to the widget in `welcome.session`; `null` when the presented one was accepted. */
  token: string | null;
  renewed?: VisitorWelcome['renewed'];
}

/**
 * Finds the session of `token` (touching it and refreshing the visitor's details) or, when there is none, it is
 * expired or belongs to another site, creates a fresh visitor, conversation and session: never someone else's.
 */
export async function resolveSession(
  store: Store,
  input: { token?: string; site: string; meta: VisitorMeta; now: number },
): Promise<ResolvedSession> {
  const { token, site, meta, now } = input;
  let renewed: ResolvedSession['renewed'];
  if (token !== undefined) {
    const tokenHash = hashToken(token);
    const found = await store.findSession(tokenHash);
    if (found && found.site === site && now - found.lastSeenAt <= SESSION_TTL_MS) {
      await store.touchSession(tokenHash, now);
      await store.updateVisitorMeta(found.visitorId, meta);
      return { session: { ...found, lastSeenAt: Math.max(found.lastSeenAt, now) }, token: null };
    }
    if (found && found.site === site) {
      await store.deleteSession(tokenHash);
      renewed = 'session_expired';
    } else {
      renewed = 'session_unknown';
    }
  }
  const fresh = newToken();
  const session = await store.createSession({ tokenHash: hashToken(fresh), site, meta, now });
  return renewed ? { session, token: fresh, renewed } : { session, token: fresh };
}
