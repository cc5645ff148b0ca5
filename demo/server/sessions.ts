import { createHash, randomBytes } from 'node:crypto';
import type { VerifiedUser, VisitorWelcome } from '../../src/protocol';
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
  /**
   * The session now leads to another conversation than the presented token did (a new session, or one re-pointed to
   * a verified user's conversation): the widget's `lastSeq` belongs to the old one and means nothing here.
   */
  switched: boolean;
  /** The visitor became verified or its name or email changed: agents need a fresh summary. */
  identityChanged: boolean;
}

/**
 * Finds the session of `token` (touching it and refreshing the visitor's details) or, when there is none, it is
 * expired or belongs to another site, creates a fresh visitor, conversation and session: never someone else's.
 *
 * With a verified `user` (its token already checked by the caller), the session is then made to lead to that user's
 * visitor of the site, wherever it was created (see `Store.identifySession`). Without one, a session already linked
 * to a user keeps leading to that user's conversation: it is the same browser, which proved the identity before, and
 * the widget forgets the session on logout (`Parley.shutdown()`). A refused user token is passed here as no user, so
 * it can never attach a session to anyone.
 */
export async function resolveSession(
  store: Store,
  input: { token?: string; site: string; meta: VisitorMeta; now: number; user?: VerifiedUser },
): Promise<ResolvedSession> {
  const { token, site, meta, now, user } = input;
  let renewed: ResolvedSession['renewed'];
  if (token !== undefined) {
    const tokenHash = hashToken(token);
    const found = await store.findSession(tokenHash);
    if (found && found.site === site && now - found.lastSeenAt <= SESSION_TTL_MS) {
      await store.touchSession(tokenHash, now);
      const lastSeenAt = Math.max(found.lastSeenAt, now);
      if (!user) {
        await store.updateVisitorMeta(found.visitorId, meta);
        return { session: { ...found, lastSeenAt }, token: null, switched: false, identityChanged: false };
      }
      const { session, updated } = await store.identifySession(tokenHash, user);
      await store.updateVisitorMeta(session.visitorId, meta);
      return {
        session: { ...session, lastSeenAt },
        token: null,
        switched: session.conversationId !== found.conversationId,
        identityChanged: updated,
      };
    }
    if (found && found.site === site) {
      await store.deleteSession(tokenHash);
      renewed = 'session_expired';
    } else {
      renewed = 'session_unknown';
    }
  }
  const fresh = newToken();
  const tokenHash = hashToken(fresh);
  let resolved: ResolvedSession;
  if (user) {
    const { session, updated } = await store.createUserSession({ tokenHash, site, meta, now, user });
    resolved = { session, token: fresh, switched: true, identityChanged: updated };
  } else {
    const session = await store.createSession({ tokenHash, site, meta, now });
    resolved = { session, token: fresh, switched: true, identityChanged: false };
  }
  if (renewed) resolved.renewed = renewed;
  return resolved;
}
