import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import type {
  AgentClientEvents,
  AgentServerEvents,
  VerifiedUser,
  VisitorClientEvents,
  VisitorServerEvents,
  VisitorWelcome,
} from '../../src/protocol';
import type { AutoAssigner } from './auto-assign';
import type { AvailabilityAnnouncer } from './availability';
import type { Logger } from './log';
import type { MailQueue } from './mail/queue';
import type { Presence } from './presence';
import type { Store } from './store/types';

/** What the visitor and agent handlers are given: the sockets' data and namespaces, and the context they share. */

export interface VisitorData {
  visitorId: string;
  /** The session's site (`auth.site`). */
  site: string;
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
  /** The visitor's address for follow-ups is known (verified user's, or left with `email`). */
  emailKnown: boolean;
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
  /** The email queue, when `PARLEY_SMTP_URL` is set: agent replies schedule their follow-up here. */
  mail?: MailQueue;
  /** Each site's availability (presence and business hours), announced to its visitors on this process. */
  availability: AvailabilityAnnouncer;
  /** Every configured agent's name: who a conversation can be assigned to. */
  agentNames: readonly string[];
  /** Auto-assignment, told when something changed that it may act on (`MANUAL` does nothing). */
  autoAssign: AutoAssigner;
}
