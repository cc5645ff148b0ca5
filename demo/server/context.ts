import type { DefaultEventsMap, ExtendedError, Namespace, Socket } from 'socket.io';
import type {
  AgentClientEvents,
  AgentServerEvents,
  ConversationSummary,
  ErrorCode,
  VerifiedUser,
  VisitorClientEvents,
  VisitorServerEvents,
  VisitorWelcome,
} from '../../src/protocol';
import type { Logger } from './log';
import type { Presence } from './presence';
import type { Store, StoredSummary } from './store/types';

export interface VisitorData {
  visitorId: string;
  /** The session's conversation; only reserved until `started` (its first message creates it). */
  conversationId: string;
  /** The conversation exists. Another tab's first message can create it: false means "not known to exist yet". */
  started: boolean;
  /** A token this handshake rotated away: its sockets are disconnected once this one is welcomed. */
  revoked?: string;
  label: string;
  /** Set when a new session was issued during the handshake. */
  token: string | null;
  renewed?: VisitorWelcome['renewed'];
  /** Catch-up starts after this seq. */
  lastSeq: number;
  /** The verified user the session leads to. */
  user?: VerifiedUser;
  /** Why the presented user token was refused. */
  userTokenRefused?: VisitorWelcome['userTokenRefused'];
  /** The visitor became verified or its name or email changed in this handshake. */
  identityChanged: boolean;
  /** Key of the session's rate budget (the token's SHA-256, as stored); never logged. */
  sessionKey: string;
  /** The client address the socket counts against (see `clientAddress`). */
  address: string;
  /** Frees the socket's connection slot; idempotent. */
  release: () => void;
}

export interface AgentData {
  name: string;
  address: string;
  /** Frees the socket's connection slot; idempotent. */
  release: () => void;
}

export type VisitorNamespace = Namespace<VisitorClientEvents, VisitorServerEvents, DefaultEventsMap, VisitorData>;
export type VisitorSocket = Socket<VisitorClientEvents, VisitorServerEvents, DefaultEventsMap, VisitorData>;
export type AgentNamespace = Namespace<AgentClientEvents, AgentServerEvents, DefaultEventsMap, AgentData>;
export type AgentSocket = Socket<AgentClientEvents, AgentServerEvents, DefaultEventsMap, AgentData>;

/** Room of every agent socket. */
export const AGENTS_ROOM = 'agents';
/** Room of every visitor socket (all tabs) of one conversation. */
export const conversationRoom = (conversationId: string): string => `conv:${conversationId}`;
/** Room of every visitor socket (all tabs) of one session, keyed by the token's hash: revocation disconnects it. */
export const sessionRoom = (sessionKey: string): string => `session:${sessionKey}`;

/** What the visitor and agent handlers share. */
export interface GatewayContext {
  store: Store;
  presence: Presence;
  logger: Logger;
  visitors: VisitorNamespace;
  agents: AgentNamespace;
  /** Registers work that `close()` must wait for before closing the store. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Set by `close()`: every socket is going away, so per-disconnect updates for agents are pointless. */
  closing: boolean;
}

export function summarize(ctx: GatewayContext, stored: StoredSummary): ConversationSummary {
  return { ...stored, visitor: { ...stored.visitor, online: ctx.presence.visitorOnline(stored.id) } };
}

/**
 * Sends the current summary of a conversation to every agent (of every gateway process; with `local`, to this
 * process's agents only). Never rejects: a failure is logged.
 */
export function pushSummary(
  ctx: GatewayContext,
  conversationId: string,
  options: { local?: boolean } = {},
): Promise<void> {
  if (ctx.closing) return Promise.resolve();
  return ctx.track(
    ctx.store.getConversation(conversationId).then(
      (stored) => {
        if (!stored) return;
        const agents = options.local ? ctx.agents.local : ctx.agents;
        agents.to(AGENTS_ROOM).emit('conversation', summarize(ctx, stored));
      },
      (err: unknown) => ctx.logger.error('summary push failed', { conversationId, err }),
    ),
  );
}

/**
 * Tells this process's agents who is connected, and its visitors the aggregate when it changed. Local only: with
 * several processes, each one announces the merged view to its own sockets when that view changes (see
 * cluster-presence.ts), so nobody gets the same news twice.
 */
export function broadcastPresence(ctx: GatewayContext, except?: AgentSocket): void {
  const agents = ctx.presence.agents();
  (except ? except.local.to(AGENTS_ROOM) : ctx.agents.local.to(AGENTS_ROOM)).emit('agents', { agents });
  const changed = ctx.presence.takeAggregateChange();
  if (changed) ctx.visitors.local.emit('presence', changed);
}

/** A handshake refusal; the client's `connect_error` carries `data.code`. */
export function refusal(code: ErrorCode, message: string): ExtendedError {
  const err: ExtendedError = new Error(message);
  err.data = { code, message };
  return err;
}
