import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgentClientEvents, CannedReply, ConversationSummary, RatingOffer } from '../../src/protocol';
import { claimBy } from './attachments/sweep';
import { broadcastPresence, summarize } from './broadcasts';
import { consoleToolHandlers } from './console-tools/handlers';
import { consoleToolEvents } from './console-tools/schemas';
import type { AgentSocket, GatewayContext } from './handler-context';
import type { OriginPolicy } from './origins';
import { notesForPage, ownerFilter, ownershipHandlers } from './ownership';
import { agentRating, ratingAverages, ratingOffer } from './ratings';
import { pushReads } from './read-receipts';
import { refusal } from './refusal';
import { AGENTS_ROOM, conversationRoom } from './rooms';
import { HandlerError, type Handlers, register } from './router';
import { replyRoom } from './send-buffer';
import type { Shield } from './shield';
import { AgentAuthSchema, agentEvents, parse } from './validate';

export interface AgentConfig {
  name: string;
  token: string;
  /** An `https:` image URL shown to visitors instead of the agent's initials (`PARLEY_AGENT_AVATARS`). */
  avatar?: string;
}

/**
 * The floor for an agent token: at least 24 characters, at least 10 of them different. It is no strength meter, it
 * refuses mistakes (`a`, `s3cret`, `changeme`, a repeated character or pattern). A token drawn at random from 64
 * symbols, like the generated one (24 base64url characters, 144 bits), clears it with overwhelming probability;
 * anything that clears it and was chosen at random is out of reach of guessing at the handshake rate an address gets.
 */
export const AGENT_TOKEN_RULE = { minLength: 24, minDistinct: 10 } as const;

/** Throws naming the agent, never the token, when the token is below `AGENT_TOKEN_RULE`. */
export function checkAgentToken(agent: AgentConfig): void {
  const chars = [...agent.token];
  if (chars.length >= AGENT_TOKEN_RULE.minLength && new Set(chars).size >= AGENT_TOKEN_RULE.minDistinct) return;
  throw new Error(
    `the token of agent "${agent.name}" is too weak: use at least ${AGENT_TOKEN_RULE.minLength} characters, ${AGENT_TOKEN_RULE.minDistinct} of them different (e.g. openssl rand -base64 24)`,
  );
}

export interface AgentOptions {
  /** The agent namespace accepts the gateway's own origin and the console origins only. */
  origins: OriginPolicy;
  shield: Shield;
  /** Canned replies of `PARLEY_CANNED_REPLIES` (read-only). */
  cannedReplies?: readonly CannedReply[];
}

/** Installs the `/agent` namespace: origin and token checks, presence and the console's events. */
export function setupAgents(ctx: GatewayContext, agents: readonly AgentConfig[], options: AgentOptions): void {
  const { origins, shield } = options;
  const known = agents.map((agent) => ({ name: agent.name, digest: digest(agent.token) }));

  ctx.agents.use((socket, next) => {
    const { headers } = socket.handshake;
    // Before the address's budgets: a page on another origin, in a browser on the agents' network, must not be able
    // to spend them (nor learn anything about tokens).
    if (!origins.agentAllowed(headers)) {
      ctx.logger.info('agent origin refused', { origin: String(headers.origin).slice(0, 200) });
      return next(refusal('origin_refused', 'this origin may not open the agent console; see PARLEY_CONSOLE_ORIGINS'));
    }
    const admitted = shield.admit(socket);
    if ('refused' in admitted) return next(admitted.refused);
    const { address, release } = admitted;
    const auth = parse(AgentAuthSchema, socket.handshake.auth);
    const name = auth.ok ? authenticate(known, auth.value.token) : undefined;
    // A correct token always passes, before the failure budget is looked at: failures from anyone else on the
    // agent's network (or address, behind a NAT) cannot lock the agent out. Guessing is held off by the token floor
    // (`AGENT_TOKEN_RULE`) and the address's handshake budget; the failure budget tells a guesser to stop, and logs it.
    if (name !== undefined) {
      socket.data = { name, address, release };
      return next();
    }
    release();
    if (!shield.agentAuthAllowed(address)) {
      ctx.logger.warn('agent sign-in throttled', { address });
      return next(refusal('rate_limited', 'too many failed sign-ins from your network; wait a minute and retry'));
    }
    shield.agentAuthFailed(address);
    ctx.logger.info('agent sign-in refused', { address });
    next(refusal('unauthorized', 'invalid agent token'));
  });

  ctx.agents.on('connection', (socket) => onConnection(ctx, socket, shield, options.cannedReplies ?? []));
}

export function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares against every agent without stopping early, in constant time per comparison. */
export function authenticate(known: readonly { name: string; digest: Buffer }[], token: string): string | undefined {
  const presented = digest(token);
  let match: string | undefined;
  for (const agent of known) {
    if (timingSafeEqual(agent.digest, presented) && match === undefined) match = agent.name;
  }
  return match;
}

function onConnection(
  ctx: GatewayContext,
  socket: AgentSocket,
  shield: Shield,
  cannedReplies: readonly CannedReply[],
): void {
  const { name } = socket.data;
  void socket.join(AGENTS_ROOM);
  const first = ctx.presence.agentConnected(name);
  socket.emit('welcome', { name, agents: ctx.presence.agents() });
  if (first) broadcastPresence(ctx, socket);

  // Conversations this socket shows as typing, so a closed console does not leave a bubble behind.
  const typingIn = new Set<string>();
  const setTyping = (conversationId: string, typing: boolean) => {
    ctx.visitors.to(conversationRoom(conversationId)).emit('typing', { name, typing });
    socket.to(AGENTS_ROOM).emit('typing', { conversationId, who: name, author: 'agent', typing });
  };

  socket.on('disconnect', () => {
    socket.data.release();
    for (const conversationId of typingIn) setTyping(conversationId, false);
    if (ctx.presence.agentDisconnected(name)) broadcastPresence(ctx);
  });

  register<AgentClientEvents, typeof allAgentEvents>(
    ctx,
    socket,
    allAgentEvents,
    { ...agentHandlers(ctx, socket, { typingIn, setTyping }), ...consoleToolHandlers(ctx, socket, cannedReplies) },
    { limit: shield.agentEvents(), room: replyRoom(socket.conn, ['list', 'open']) },
  );
}

/** The console's core events and its tools' (console-tools/). */
const allAgentEvents = { ...agentEvents, ...consoleToolEvents };

/** This socket's typing state: the conversations it shows as typing, and how to announce a change. */
interface AgentTyping {
  typingIn: Set<string>;
  setTyping(conversationId: string, typing: boolean): void;
}

/** The agent's events (see `AgentClientEvents`); run by the router after validation and rate limits. */
function agentHandlers(
  ctx: GatewayContext,
  socket: AgentSocket,
  { typingIn, setTyping }: AgentTyping,
): Handlers<Omit<AgentClientEvents, keyof typeof consoleToolEvents>, typeof agentEvents> {
  const { name } = socket.data;
  const conversation = async (conversationId: string) => {
    const stored = await ctx.store.getConversation(conversationId);
    if (!stored) throw new HandlerError('not_found', 'no such conversation');
    return summarize(ctx, stored);
  };
  return {
    list: async ({ status, limit, view }) => {
      const stored = await ctx.store.listConversations({ status, limit, ...ownerFilter(view, name) });
      return { conversations: stored.map((s) => summarize(ctx, s)) };
    },
    open: async ({ conversationId, afterSeq }) => {
      const summary = await conversation(conversationId);
      const [page, rating] = await Promise.all([
        ctx.store.messagesAfter(conversationId, afterSeq ?? 0),
        summary.status === 'resolved' ? ctx.store.getRating(conversationId).then(agentRating) : undefined,
      ]);
      const notes = await notesForPage(ctx, conversationId, afterSeq ?? 0, page);
      return { conversation: summary, ...page, notes, ...(rating ? { rating } : {}) };
    },
    send: async ({ conversationId, clientId, text, attachments }, after) => {
      const { message, duplicate } = await ctx.store.appendMessage(conversationId, {
        author: 'agent',
        agentName: name,
        clientId,
        text,
        ...(attachments ? { attachments: claimBy(`agent:${name}`, attachments) } : {}),
      });
      if (!duplicate) {
        // Before the ack: once the agent sees the reply sent, its follow-up by email is queued too.
        await ctx.mail?.agentReplied(conversationId);
        // Receivers hide the typing bubble on a message themselves.
        typingIn.delete(conversationId);
        after(() => {
          ctx.visitors.to(conversationRoom(conversationId)).emit('message', message);
          // An agent message changes nothing in the summary that `message` does not carry (see visitors.ts).
          socket.to(AGENTS_ROOM).emit('message', message);
        });
      }
      return { message, duplicate };
    },
    typing: async ({ conversationId, typing }) => {
      if (!(await ctx.store.hasConversation(conversationId)))
        throw new HandlerError('not_found', 'no such conversation');
      if (typing) typingIn.add(conversationId);
      else typingIn.delete(conversationId);
      setTyping(conversationId, typing);
      return {};
    },
    read: async ({ conversationId, seq }, after) => {
      await conversation(conversationId);
      if (await ctx.store.markAgentRead(conversationId, seq)) after(() => pushReads(ctx, conversationId, 'agent'));
      return {};
    },
    setStatus: async ({ conversationId, status }, after) => {
      const stored = await ctx.store.setStatus(conversationId, status);
      if (!stored) throw new HandlerError('not_found', 'no such conversation');
      const summary = summarize(ctx, stored);
      const rating = status === 'resolved' ? await offerRatingOf(ctx, conversationId, name) : undefined;
      after(() => {
        ctx.visitors.to(conversationRoom(conversationId)).emit('status', { status, ...(rating ? { rating } : {}) });
        ctx.agents.to(AGENTS_ROOM).emit('conversation', summary);
        // A resolve frees a place for a waiting conversation.
        ctx.autoAssign.nudge();
      });
      return { conversation: summary };
    },
    presence: async ({ status }) => {
      if (ctx.presence.setAgentStatus(name, status)) broadcastPresence(ctx);
      return {};
    },
    ...awayHandlers(ctx, conversation),
    ...ownershipHandlers(ctx, name),
  };
}

/** Resolved by an agent (never automatically): the visitor is offered a rating of this agent. */
async function offerRatingOf(
  ctx: GatewayContext,
  conversationId: string,
  name: string,
): Promise<RatingOffer | undefined> {
  const offered = await ctx.store.offerRating(conversationId, name, Date.now());
  return ratingOffer(offered ?? (await ctx.store.getRating(conversationId)), Date.now());
}

/** Issue 15's agent events: the per-agent rating averages, and asking the visitor for an email address. */
function awayHandlers(
  ctx: GatewayContext,
  conversation: (conversationId: string) => Promise<ConversationSummary>,
): Pick<Handlers<Omit<AgentClientEvents, keyof typeof consoleToolEvents>, typeof agentEvents>, 'ratings' | 'askEmail'> {
  return {
    ratings: async () => ({ agents: await ratingAverages(ctx.store) }),
    askEmail: async ({ conversationId }, after) => {
      const summary = await conversation(conversationId);
      if (!summary.visitor.email) after(() => ctx.visitors.to(conversationRoom(conversationId)).emit('askEmail'));
      return {};
    },
  };
}
