/**
 * The wire contract between the widget, the agent console and the gateway.
 * Every event name and payload type lives here and nowhere else, so a renamed
 * event is a compile error on both ends instead of a silently dropped message.
 */

/** Sent by the widget in `auth.v`; the gateway refuses any other version with `version_unsupported`. */
export const PROTOCOL_VERSION = 1;

/**
 * A site key (`data-site`, `auth.site`, the site names in `PARLEY_SITE_SECRETS` and `PARLEY_ORIGINS`): 1 to 64
 * letters, digits, `.`, `_` or `-`, starting with a letter or digit. One rule for widget and gateway, so a key the
 * gateway accepts in its configuration is never turned into `default` by the widget.
 */
export const SITE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Visitors and agents never share a namespace: an agent-only event cannot even be addressed by a visitor socket. */
export const NAMESPACE = { visitor: '/visitor', agent: '/agent' } as const;

export const LIMITS = {
  /** Characters in one message; longer ones are refused with `message_too_long` and stay in the composer. */
  messageLength: 4000,
  /**
   * Engine.IO `maxHttpBufferSize`: a frame larger than this closes the connection. 64 KiB, written as a literal: with
   * `64 * 1024` esbuild keeps the whole object in parley.js, which never uses it (75 B gzip).
   */
  maxPayloadBytes: 65_536,
  /** A sender emits `typing: true` at most this often while the user keeps typing. */
  typingThrottleMs: 1500,
  /** A receiver hides a typing indicator when no new typing event arrived for this long. */
  typingExpiryMs: 3000,
  /** Messages returned by one history or catch-up call; `more: true` asks the caller to page on. */
  historyPage: 200,
  /**
   * Bytes (UTF-8 JSON) of the messages of one history, catch-up or `open` page, and of the conversations of one `list`:
   * a page ends at whichever of this and its count comes first (`more: true` then). A message is at most ~24 KB of
   * JSON, so a page always holds at least one.
   */
  pageBytes: 256 * 1024,
} as const;

/** Error codes carried by `{ ok: false }` acks and connection errors. Documented in the README. */
export type ErrorCode =
  | 'invalid_payload'
  | 'unknown_event'
  | 'message_too_long'
  | 'rate_limited'
  | 'too_many_connections'
  | 'not_found'
  | 'unauthorized'
  | 'origin_refused'
  | 'identity_invalid'
  | 'version_unsupported'
  | 'storage_error'
  | 'internal'
  /** Email (issue 15): a transcript was asked for but the visitor left no address. */
  | 'email_required'
  /** Pre-chat form (issue 15): a name was left without `consent: true` to the site's privacy policy. */
  | 'consent_required'
  /** `assign` named an agent that is not configured (ownership, issue 14). */
  | 'unknown_agent'
  // Attachments (issue 16): see the attachments block below.
  | 'attachment_invalid'
  | 'file_too_large'
  | 'file_type_refused';

export interface ErrorAck {
  ok: false;
  code: ErrorCode;
  message: string;
}
export type Ack<T extends object = object> = ({ ok: true } & T) | ErrorAck;
export type AckFn<T extends object = object> = (ack: Ack<T>) => void;

export type Author = 'visitor' | 'agent' | 'system';
export type AgentStatus = 'online' | 'away' | 'offline';
export type ConversationStatus = 'open' | 'resolved';

export interface Message {
  /** Server id, unique across the gateway. */
  id: string;
  conversationId: string;
  /** Gap-free, 1-based, per conversation: the basis of catch-up after a reconnect. */
  seq: number;
  author: Author;
  /** Set on agent messages. */
  agentName?: string;
  /** The sender's idempotency key; a resend with the same key returns this same message. */
  clientId?: string;
  text: string;
  /** Milliseconds since the epoch, server clock. */
  createdAt: number;
  /** Files sent with the message, with download URLs signed for whoever receives this copy (see `Attachment`). */
  attachments?: Attachment[];
}

export interface PageInfo {
  url: string;
  title: string;
}

// ---------------------------------------------------------------------------
// Visitor namespace
// ---------------------------------------------------------------------------

/** Socket.IO `auth` payload of a visitor connection. The session token travels here, never in a URL. */
export interface VisitorAuth {
  v: number;
  site: string;
  /** Token from an earlier `welcome.session`; absent on a first visit. */
  session?: string;
  /** Highest sequence number the widget already has; the gateway sends everything after it. */
  lastSeq?: number;
  page?: PageInfo;
  locale?: string;
  /**
   * Identifies a logged-in user of the site: a short-lived JWT (HS256) signed by the site's backend with the site's
   * secret, with `sub` (user id), optional `name` and `email`, and `exp`. A valid one links this session to that
   * user's conversation (on every device) and, when that changes who the session belongs to, rotates the session
   * token (`welcome.session`); an invalid one leaves the session anonymous (`welcome.userTokenRefused`). A session
   * bound to a user is accepted only with a valid token for that same user (otherwise `renewed: 'identity_required'`).
   */
  userToken?: string;
}

export interface VerifiedUser {
  id: string;
  name?: string;
  email?: string;
}

/**
 * What visitors see of the agents: `online` if any connected agent is online, else `away` if any is connected, else
 * `offline`; `agent` names the first online agent in configuration order.
 */
export interface VisitorPresence {
  agents: AgentStatus;
  agent?: string;
}

// ---------------------------------------------------------------------------
// Away mode and email (issue 15): availability, email capture, follow-up and replies by email
// ---------------------------------------------------------------------------

/**
 * When a site's visitors can expect a reply, computed by the gateway from who is connected and the site's business
 * hours (`PARLEY_HOURS`): `online` an agent is online; `away` inside business hours with agents signed in but away;
 * `closed` outside business hours (`opensAt`: the next opening, epoch ms, when the hours say) or nobody signed in.
 */
export interface Availability {
  state: 'online' | 'away' | 'closed';
  opensAt?: number;
}

/**
 * An address the gateway accepts for follow-ups: one `@`, a dotted domain, no spaces, quotes, brackets or commas (so
 * it can never carry a second address or a header); at most `LIMITS_EMAIL_LENGTH` characters. Shared by the widget's
 * capture form and the gateway.
 */
export const EMAIL_ADDRESS = /^[^\s@<>()[\]",;:\\]+@[^\s@<>()[\]",;:\\.]+(\.[^\s@<>()[\]",;:\\.]+)+$/;
/** The longest address accepted (RFC 5321's path limit). */
export const LIMITS_EMAIL_LENGTH = 254;

/** A visitor's satisfaction rating of a conversation an agent resolved (one per conversation). */
export interface Rating {
  /** 1 (bad) to 5 (good). */
  score: number;
  /** At most `RATING_COMMENT_LENGTH` characters. */
  comment?: string;
  /** The agent who resolved the conversation. */
  agentName: string;
  ratedAt: number;
}
export const RATING_COMMENT_LENGTH = 1000;

/** What the widget offers after an agent resolved the conversation: the rating so far, and until when it may change. */
export interface RatingOffer {
  score?: number;
  comment?: string;
  /** Epoch ms; absent until the first score (then one day later). */
  changeableUntil?: number;
}

/** Per-agent satisfaction in the console. */
export interface RatingAverage {
  name: string;
  /** Mean score, 1 to 5. */
  average: number;
  count: number;
}

/** Visitor event `email`: the address to send follow-ups to (see `EMAIL_ADDRESS`). */
export interface EmailPayload {
  email: string;
  /**
   * Pre-chat form (`welcome.prechat`): the visitor's name, at most `LIMITS_NAME_LENGTH` characters, stored on the
   * visitor for agents; accepted only with `consent: true` (else `consent_required`).
   */
  name?: string;
  /** The visitor ticked the pre-chat form's consent to the site's privacy policy. */
  consent?: boolean;
}
/** The longest name the pre-chat form accepts. */
export const LIMITS_NAME_LENGTH = 100;

export interface VisitorWelcome {
  /**
   * A newly issued session token, to store in place of the presented one (which may no longer work: a login rotates
   * it); `null` when the presented one was accepted as it is.
   */
  session: string | null;
  /**
   * Why a new session was issued although the widget presented one. `identity_required`: the presented session belongs
   * to a verified user and this connection did not prove that user (no, an invalid or another user's `userToken`).
   */
  renewed?: 'session_unknown' | 'session_expired' | 'identity_required';
  /** The verified user this session belongs to. */
  user?: VerifiedUser;
  /** The user token was refused (bad signature, expired, malformed, or no secret for this site); the session is anonymous. */
  userTokenRefused?: { code: 'identity_invalid'; message: string };
  /**
   * `null` until the session's first message is stored: a handshake creates no conversation. The first `send` creates
   * it; its id then comes with that message (`Message.conversationId`), to every tab of the session.
   */
  conversationId: string | null;
  status: ConversationStatus;
  presence: AgentStatus;
  /** The first online agent in configuration order, if any: the widget's header names them. */
  agent?: string;
  /** Avatar image URLs (`https:` only) of the agents that have one, by name; the others show their initials. */
  avatars?: Record<string, string>;
  /** When to expect a reply; updated by the `availability` event. */
  availability?: Availability;
  /** The visitor's address for follow-ups is known (captured, or from the verified user): do not ask for it. */
  emailKnown?: boolean;
  /**
   * Pre-chat form (`PARLEY_PRECHAT`): the site asks an anonymous visitor for a name, an email and consent to its
   * privacy policy (`https:` URL) before the first message. Absent for verified users and other sites.
   */
  prechat?: { privacyUrl: string };
  /** An agent resolved the conversation and the visitor may (still) rate it. */
  rating?: RatingOffer;
  /** Messages after `auth.lastSeq`, oldest first, at most `LIMITS.historyPage` and `LIMITS.pageBytes`. */
  messages: Message[];
  /** More messages follow; fetch them with `history`. */
  more: boolean;
  /** Read receipts: the highest seq any agent has read (absent: none yet). Later changes come as `read`. */
  agentReadSeq?: number;
}

export interface SendPayload {
  clientId: string;
  /** May be empty when `attachments` is not. */
  text: string;
  /** Ids of files this sender uploaded (`UploadResult`) and no message references yet; at most `ATTACHMENTS.perMessage`. */
  attachments?: string[];
}
export interface SendResult {
  message: Message;
  /** True when this clientId had been stored before: the original message is returned, nothing new is stored. */
  duplicate: boolean;
}
export interface HistoryPayload {
  afterSeq: number;
}
export interface HistoryResult {
  messages: Message[];
  more: boolean;
}
export interface TypingPayload {
  typing: boolean;
}

export interface VisitorClientEvents {
  send: (p: SendPayload, ack: AckFn<SendResult>) => void;
  history: (p: HistoryPayload, ack: AckFn<HistoryResult>) => void;
  typing: (p: TypingPayload, ack?: AckFn) => void;
  /** The visitor has seen everything up to `seq`. */
  read: (p: { seq: number }, ack?: AckFn) => void;
  page: (p: PageInfo, ack?: AckFn) => void;
  /**
   * Ends the session on the gateway (`Parley.shutdown()`, e.g. on logout): its token stops working at once and every
   * socket of the session, in every tab, is disconnected. The payload is an empty object.
   */
  end: (p: Record<string, never>, ack?: AckFn) => void;
  /** Leaves an address for follow-ups by email (see `EmailPayload`); refused with `invalid_payload` when malformed. */
  email: (p: EmailPayload, ack?: AckFn) => void;
  /**
   * Emails a transcript of the conversation to the visitor's own address (captured or verified), at most 3 a day per
   * visitor, 5 per address and a daily cap per site (`rate_limited`); `email_required` without an address. The
   * payload is an empty object; the ack names the address it goes to.
   */
  transcript: (p: Record<string, never>, ack: AckFn<{ to: string }>) => void;
  /**
   * Rates the conversation after an agent resolved it; may be changed for a day after the first score. `not_found`
   * when no rating is offered (not resolved by an agent) or the day has passed.
   */
  rate: (p: { score: number; comment?: string }, ack: AckFn<{ rating: RatingOffer }>) => void;
}

export interface VisitorServerEvents {
  welcome: (w: VisitorWelcome) => void;
  /** Any new message of the conversation, including the visitor's own sent from another tab. */
  message: (m: Message) => void;
  /** An agent started or stopped typing. */
  typing: (t: { name: string; typing: boolean }) => void;
  presence: (p: VisitorPresence) => void;
  /** `rating`: an agent resolved the conversation and a rating is offered (see `rate`). */
  status: (s: { status: ConversationStatus; rating?: RatingOffer }) => void;
  /**
   * Live events may have been lost (the gateway's processes were cut off from each other, e.g. Redis restarted): fetch
   * what is missing with `history { afterSeq }` from the last seq held in a row.
   */
  resync: () => void;
  /** An agent asks for the visitor's email address (see the agent event `askEmail`). */
  askEmail: () => void;
  /** The site's availability changed (agents came or went, or business hours opened or closed). */
  availability: (a: Availability) => void;
  /** Read receipts: an agent has read the conversation up to `seq` (never decreases; see `welcome.agentReadSeq`). */
  read: (r: { seq: number }) => void;
}

// ---------------------------------------------------------------------------
// Agent namespace
// ---------------------------------------------------------------------------

/** Socket.IO `auth` payload of an agent connection. */
export interface AgentAuth {
  token: string;
}

export interface VisitorInfo {
  id: string;
  /** Short human label for anonymous visitors, e.g. "Visitor 3f2a". */
  label: string;
  online: boolean;
  page?: PageInfo;
  locale?: string;
  userAgent?: string;
  name?: string;
  email?: string;
  /** Identity proven by a token signed by the site's backend. */
  verified: boolean;
}

/** The preview of a conversation's last message (text cut to 200 characters). */
export interface LastMessage {
  author: Author;
  text: string;
  /**
   * Optional (issue 16): the files the message carried, absent when none, so a message with files only can be previewed
   * ("📎 photo.png", "2 files"). `name` is one of their names (the only one when `count` is 1). Older consoles ignore it.
   */
  files?: { count: number; name: string };
}

export interface ConversationSummary {
  id: string;
  site: string;
  status: ConversationStatus;
  lastSeq: number;
  lastActivityAt: number;
  lastMessage?: LastMessage;
  /** Visitor messages no agent has read yet. */
  unread: number;
  visitor: VisitorInfo;
  // --- Read receipts (agent console): set by the gateway on every summary.
  /** The highest seq any agent has read. */
  agentReadSeq?: number;
  /** The highest seq the visitor has read: agent messages up to it were seen. */
  visitorReadSeq?: number;
  /** The agent who owns the conversation; absent: nobody (see `assign`). */
  assignee?: string;
}

export interface AgentPresence {
  name: string;
  status: AgentStatus;
}

export interface AgentWelcome {
  name: string;
  agents: AgentPresence[];
}

export interface AgentClientEvents {
  /**
   * The most recently active conversations: at most `limit` (default 100) and `LIMITS.pageBytes`. Older ones join the
   * console's list when they change (`conversation`, or `open` for a `message` of one it does not hold).
   */
  list: (
    p: { status?: ConversationStatus | 'all'; limit?: number; view?: ListView },
    ack: AckFn<{ conversations: ConversationSummary[] }>,
  ) => void;
  /** Full history (paged by `afterSeq`) and details of one conversation. */
  open: (
    p: { conversationId: string; afterSeq?: number },
    ack: AckFn<{
      conversation: ConversationSummary;
      messages: Message[];
      more: boolean;
      notes: Note[];
      rating?: Rating;
    }>,
  ) => void;
  send: (p: SendPayload & { conversationId: string }, ack: AckFn<SendResult>) => void;
  typing: (p: TypingPayload & { conversationId: string }, ack?: AckFn) => void;
  read: (p: { conversationId: string; seq: number }, ack?: AckFn) => void;
  setStatus: (
    p: { conversationId: string; status: ConversationStatus },
    ack: AckFn<{ conversation: ConversationSummary }>,
  ) => void;
  presence: (p: { status: 'online' | 'away' }, ack?: AckFn) => void;
  /** Asks the visitor for an email address in the widget (e.g. before the agent leaves); nothing when it is known. */
  askEmail: (p: { conversationId: string }, ack?: AckFn) => void;
  /** Satisfaction per agent: the average score of the conversations each resolved. The payload is an empty object. */
  ratings: (p: Record<string, never>, ack: AckFn<{ agents: RatingAverage[] }>) => void;
  /** Gives the conversation to `agent` (a configured agent's name, oneself included), or to nobody with `null`. */
  assign: (
    p: { conversationId: string; agent: string | null },
    ack: AckFn<{ conversation: ConversationSummary }>,
  ) => void;
  /** An internal note: stored with the conversation, shown to agents only. Idempotent on (agent, clientId). */
  note: (
    p: { conversationId: string; clientId: string; text: string },
    ack: AckFn<{ note: Note; duplicate: boolean }>,
  ) => void;
}

export interface AgentServerEvents {
  welcome: (w: AgentWelcome) => void;
  /**
   * A conversation was created or changed (read, status, visitor presence, page or identity). Not sent for a new
   * message: apply `message` to the summary (`lastSeq`, `lastActivityAt`, `lastMessage`, and `unread` + 1 for a
   * visitor message); a visitor message that reopens a resolved conversation also sends this.
   */
  conversation: (c: ConversationSummary) => void;
  message: (m: Message) => void;
  /** Visitor typing, or another agent typing, in a conversation. */
  typing: (t: { conversationId: string; who: string; author: 'visitor' | 'agent'; typing: boolean }) => void;
  agents: (a: { agents: AgentPresence[] }) => void;
  /** A visitor rated (or changed the rating of) a conversation. */
  rating: (r: { conversationId: string; rating: Rating }) => void;
  /** A new entry of a conversation's agent-only timeline: an internal note or a system line (e.g. an assignment). */
  note: (n: Note) => void;
  /**
   * Live events may have been lost (see the visitor's `resync`): `list` again, and `open` each conversation shown from
   * the last seq held in a row.
   */
  resync: () => void;
}

// ---------------------------------------------------------------------------
// Ownership and the agent-only timeline (issue 14, helper `own`)
// ---------------------------------------------------------------------------

/**
 * Which conversations `list` returns by owner: `mine` (assigned to the caller), `unassigned`, or `all` (default).
 * Combined with `status`.
 */
export type ListView = 'mine' | 'unassigned' | 'all';

/**
 * An entry of a conversation's agent-only timeline: an internal note written by an agent (`note`), or a system line
 * recorded by the gateway (`event`, e.g. "Ana assigned this conversation to Ben"). Never a `Message`: it takes no
 * `seq` (the visitor's gap-free catch-up is untouched) and is sent on the agent namespace only, never to a visitor,
 * into unread counts or previews.
 */
export interface Note {
  id: string;
  conversationId: string;
  kind: 'note' | 'event';
  /** The note's author; for an event, the agent who made the change (absent: the gateway, e.g. auto-assignment). */
  agentName?: string;
  text: string;
  /** The author's idempotency key (notes only). */
  clientId?: string;
  /** The conversation's `lastSeq` when it was written: it is shown after that message. */
  afterSeq: number;
  /** Milliseconds since the epoch, server clock. */
  createdAt: number;
}

// ---------------------------------------------------------------------------
// Agent console tools (issue 14): search, canned replies, visitor context. Agent namespace only. Declared as
// additions to the event maps above (TypeScript merges interface declarations), so this block stays in one place.
// ---------------------------------------------------------------------------

export const SEARCH = {
  /** Characters of a search query; a longer one is refused with `invalid_payload`. */
  maxQueryLength: 200,
  /** Words of a query that are matched; the rest are ignored. */
  maxWords: 8,
  /** Hits returned by default and at most. */
  defaultLimit: 20,
  maxLimit: 50,
  /** Characters of a hit's snippet (plus `…` at a cut end). */
  snippetLength: 160,
} as const;

/** Where a search hit matched: a message's text, an internal note's (its `seq`: the message it follows), or the visitor's name or email. */
export type SearchField = 'message' | 'visitor' | 'note';

export interface SearchHit {
  conversation: ConversationSummary;
  field: SearchField;
  /** The matching message, for `field: 'message'`: the console opens the conversation at it. */
  seq?: number;
  /** Plain text around the match; never HTML. */
  snippet: string;
  /** [start, end) offsets (UTF-16) of the matches in `snippet`, in order, not overlapping. */
  matches: [number, number][];
  /** When the matching message was sent (or the conversation's last activity, for a visitor match). */
  at: number;
}

export const CANNED = {
  /** `/shortcut`: 1 to 32 lower-case letters, digits, `_` or `-`. */
  shortcut: /^[a-z0-9][a-z0-9_-]{0,31}$/,
  /**
   * Bytes (UTF-8) of one reply's text. With at most `maxReplies` from the database and as many from the file, the
   * whole list (`cannedList`, `canned`) stays under `LIMITS.pageBytes`.
   */
  maxTextBytes: 1000,
  /** Replies stored in the database; the file may hold as many more, with the same per-reply limits. */
  maxReplies: 100,
  /** The fields a reply may contain as `{{field}}` or `{{field|fallback}}`. */
  fields: ['visitor.name', 'visitor.email', 'agent.name', 'site'],
} as const;

export interface CannedReply {
  id: string;
  shortcut: string;
  text: string;
  /** `file`: from `PARLEY_CANNED_REPLIES`, read-only in the console; `db`: editable by agents. */
  source: 'file' | 'db';
  updatedBy?: string;
  updatedAt?: number;
}

/** Pages of one conversation's visitor the gateway keeps, newest first. */
export const PAGE_HISTORY = 50;

export interface PageView {
  url: string;
  title: string;
  at: number;
}

export interface VisitorContext {
  /** The visitor's other conversations: same verified user (any site) or an anonymous visitor its session left. */
  earlier: ConversationSummary[];
  /** Pages the visitor reported, newest first, at most `PAGE_HISTORY`. */
  pages: PageView[];
}

export interface AgentClientEvents {
  /** Conversations whose messages, visitor name or email match `query`; one hit per conversation, newest first. */
  search: (p: { query: string; limit?: number }, ack: AckFn<{ results: SearchHit[] }>) => void;
  /** Shared canned replies: the file's, then the database's, by shortcut. */
  cannedList: (p: Record<string, never>, ack: AckFn<{ replies: CannedReply[] }>) => void;
  /** Creates (no `id`) or edits a database reply; every agent gets `canned`. */
  cannedSave: (p: { id?: string; shortcut: string; text: string }, ack: AckFn<{ reply: CannedReply }>) => void;
  cannedDelete: (p: { id: string }, ack: AckFn) => void;
  /** Earlier conversations and visited pages of a conversation's visitor. */
  context: (p: { conversationId: string }, ack: AckFn<VisitorContext>) => void;
}

export interface AgentServerEvents {
  /** The shared canned replies changed: the full list, as `cannedList` returns it. */
  canned: (c: { replies: CannedReply[] }) => void;
}

// ---------------------------------------------------------------------------
// Attachments (issue 16). Files go up over HTTP, never over the socket: `POST {gateway}/uploads` with a multipart body
// of one file, the visitor's session token in the `Parley-Session` header (or an agent's token in `Parley-Agent`,
// plus `Parley-Conversation`). The answer is an `UploadResult` (or an `ErrorAck` with an HTTP error status); the id
// then goes into `SendPayload.attachments`. Downloads use the signed, short-lived URLs of `Attachment`.
// ---------------------------------------------------------------------------

// The wire names (`ATTACHMENTS`: upload path, header names, files per message) live in src/attachments/wire.ts: a
// constant here, even re-exported, would put a shared chunk in front of the widget's core, which never uses it.

/** A stored file as the sender's upload answer describes it. */
export interface UploadedFile {
  id: string;
  /** The file name as stored: a plain name with control, bidi-override and path characters replaced. */
  name: string;
  /** Bytes as stored (after re-encoding, for images). */
  size: number;
  /** `image/png`, `image/jpeg`, `image/gif`, `image/webp`, `application/pdf`, `text/plain`, or as configured. */
  type: string;
  /** Pixel size of a (re-encoded) image, so the message list reserves its room before it loads. */
  width?: number;
  height?: number;
}

export interface UploadResult {
  ok: true;
  attachment: UploadedFile;
}

/** A file of a message, with URLs minted when the message is sent or listed; they expire (`exp` in the query). */
export interface Attachment extends UploadedFile {
  url: string;
  /** A thumbnail of at most 320 px for images. */
  thumbUrl?: string;
}
