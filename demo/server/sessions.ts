import { createHash, randomBytes } from 'node:crypto';
import type { VerifiedUser, VisitorWelcome } from '../../src/protocol';
import type { Logger } from './log';
import { NotFoundError, type SessionRecord, type Store, type SweepResult, type VisitorMeta } from './store/types';

/** A session unused for this long is forgotten: its token no longer opens the conversation. */
export const SESSION_TTL_MS = 180 * 24 * 60 * 60 * 1000;
/** A session whose visitor never stored a message is forgotten much sooner (`PARLEY_EMPTY_SESSION_TTL_HOURS`). */
export const EMPTY_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

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
  /** The presented token was rotated: it no longer exists, and sockets still using it must go. */
  revoked?: string;
}

export interface SessionPolicy {
  /** How long an unused session lives; default `SESSION_TTL_MS`. */
  ttlMs?: number;
  /** How long an unused session whose visitor never stored a message lives; default `EMPTY_SESSION_TTL_MS`. */
  emptyTtlMs?: number;
}

/**
 * Finds the session of `token` (touching it and refreshing the visitor's details) or, when there is none, it is
 * expired or belongs to another site, creates a fresh visitor and session: never someone else's conversation.
 *
 * Sessions cannot be fixed or replayed across an identity change:
 * - with a verified `user` (its token already checked by the caller), an anonymous session is made to lead to that
 *   user's visitor (see `Store.identifySession`) and its token is rotated: the presented one stops working, whoever
 *   else held it (a shared computer, a planted `localStorage`), and the new one goes to this connection only;
 * - a session bound to a verified user opens that user's conversation only together with a valid user token for the
 *   same user. Without one (absent, refused, or another user's), the connection gets a new session of its own
 *   (`renewed: 'identity_required'`; anonymous, or the other user's), and the bound session is left as it is, for
 *   that user's tabs: it opens nothing without that user's token.
 * A refused user token is passed here as no user, so it can never attach a session to anyone.
 */
export async function resolveSession(
  store: Store,
  input: { token?: string; site: string; meta: VisitorMeta; now: number; user?: VerifiedUser },
  policy: SessionPolicy = {},
): Promise<ResolvedSession> {
  const { token, site, meta, now, user } = input;
  let renewed: ResolvedSession['renewed'];
  if (token !== undefined) {
    const tokenHash = hashToken(token);
    const found = await store.findSession(tokenHash);
    const ttl = found?.started ? (policy.ttlMs ?? SESSION_TTL_MS) : (policy.emptyTtlMs ?? EMPTY_SESSION_TTL_MS);
    if (found && found.site === site && now - found.lastSeenAt <= ttl) {
      if (found.user !== undefined && found.user.id !== user?.id) {
        renewed = 'identity_required';
      } else {
        const accepted = await accept(store, found, user, meta, now);
        if (accepted) return accepted;
        // Identified by another connection meanwhile: its token was rotated away.
        renewed = 'session_unknown';
      }
    } else if (found && found.site === site) {
      await store.deleteSession(tokenHash);
      renewed = 'session_expired';
    } else {
      renewed = 'session_unknown';
    }
  }
  const resolved = await createSession(store, { site, meta, now, user });
  if (renewed) resolved.renewed = renewed;
  return resolved;
}

/** The presented session, identified (and rotated) when `user` is new to it; undefined when it vanished meanwhile. */
async function accept(
  store: Store,
  found: SessionRecord,
  user: VerifiedUser | undefined,
  meta: VisitorMeta,
  now: number,
): Promise<ResolvedSession | undefined> {
  await store.touchSession(found.tokenHash, now);
  const lastSeenAt = Math.max(found.lastSeenAt, now);
  if (!user) {
    await store.updateVisitorMeta(found.visitorId, meta);
    return { session: { ...found, lastSeenAt }, token: null, switched: false, identityChanged: false };
  }
  const rotated = newToken();
  let identified: Awaited<ReturnType<Store['identifySession']>>;
  try {
    identified = await store.identifySession(found.tokenHash, user, hashToken(rotated), now);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  const { session, updated } = identified;
  await store.updateVisitorMeta(session.visitorId, meta);
  const resolved: ResolvedSession = {
    session: identified.rotated ? session : { ...session, lastSeenAt },
    token: identified.rotated ? rotated : null,
    switched: session.conversationId !== found.conversationId,
    identityChanged: updated,
  };
  if (identified.rotated) resolved.revoked = found.tokenHash;
  return resolved;
}

async function createSession(
  store: Store,
  input: { site: string; meta: VisitorMeta; now: number; user?: VerifiedUser },
): Promise<ResolvedSession> {
  const fresh = newToken();
  const tokenHash = hashToken(fresh);
  if (input.user) {
    const { session, updated } = await store.createUserSession({ ...input, tokenHash, user: input.user });
    return { session, token: fresh, switched: true, identityChanged: updated };
  }
  const session = await store.createSession({ ...input, tokenHash });
  return { session, token: fresh, switched: true, identityChanged: false };
}

/** How often the gateway deletes expired sessions by default (`PARLEY_SESSION_SWEEP_MINUTES`). */
export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export interface SessionSweeper {
  /** Deletes what expired by now; also what the timer runs. */
  sweep(): Promise<SweepResult>;
  stop(): void;
}

/**
 * Deletes expired sessions every `intervalMs` (first after one interval), and the visitors only they kept: without
 * it, every handshake that never wrote would stay in the database for good. A failed sweep is logged and retried at
 * the next interval.
 */
export function startSessionSweeper(input: {
  store: Store;
  policy?: SessionPolicy;
  intervalMs?: number;
  now?: () => number;
  logger: Logger;
  track: <T>(work: Promise<T>) => Promise<T>;
}): SessionSweeper {
  const { store, policy = {}, logger, track } = input;
  const now = input.now ?? Date.now;
  const sweep = () => {
    const at = now();
    return track(
      store.sweepSessions({
        idleBefore: at - (policy.ttlMs ?? SESSION_TTL_MS),
        emptyBefore: at - (policy.emptyTtlMs ?? EMPTY_SESSION_TTL_MS),
      }),
    );
  };
  const timer = setInterval(() => {
    sweep().then(
      (swept) => {
        if (swept.sessions > 0) logger.info('expired sessions deleted', { ...swept });
      },
      (err: unknown) => logger.error('session sweep failed', { err }),
    );
  }, input.intervalMs ?? SWEEP_INTERVAL_MS);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
