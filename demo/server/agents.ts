import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgentClientEvents } from '../../src/protocol';
import {
  AGENTS_ROOM,
  type AgentSocket,
  broadcastPresence,
  conversationRoom,
  type GatewayContext,
  pushSummary,
  refusal,
  summarize,
} from './context';
import { HandlerError, register } from './handle';
import type { Shield } from './shield';
import { AgentAuthSchema, agentEvents, parse } from './validate';

export interface AgentConfig {
  name: string;
  token: string;
  /** An `https:` image URL shown to visitors instead of the agent's initials (`PARLEY_AGENT_AVATARS`). */
  avatar?: string;
}

/** Installs the `/agent` namespace: token check, presence and the console's events. */
export function setupAgents(ctx: GatewayContext, agents: readonly AgentConfig[], shield: Shield): void {
  const known = agents.map((agent) => ({ name: agent.name, digest: digest(agent.token) }));

  ctx.agents.use((socket, next) => {
    const admitted = shield.admit(socket);
    if ('refused' in admitted) return next(admitted.refused);
    const { address, release } = admitted;
    // Guessing tokens: after a few failures from one address, refuse before even looking at the token.
    if (!shield.agentAuthAllowed(address)) {
      release();
      ctx.logger.warn('agent sign-in throttled', { address });
      return next(refusal('rate_limited', 'too many failed sign-ins from your network; wait a minute and retry'));
    }
    const auth = parse(AgentAuthSchema, socket.handshake.auth);
    const name = auth.ok ? authenticate(known, auth.value.token) : undefined;
    if (name === undefined) {
      release();
      shield.agentAuthFailed(address);
      ctx.logger.info('agent sign-in refused', { address });
      return next(refusal('unauthorized', 'invalid agent token'));
    }
    socket.data = { name, address, release };
    next();
  });

  ctx.agents.on('connection', (socket) => onConnection(ctx, socket, shield));
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares against every agent without stopping early, in constant time per comparison. */
function authenticate(known: readonly { name: string; digest: Buffer }[], token: string): string | undefined {
  const presented = digest(token);
  let match: string | undefined;
  for (const agent of known) {
    if (timingSafeEqual(agent.digest, presented) && match === undefined) match = agent.name;
  }
  return match;
}

function onConnection(ctx: GatewayContext, socket: AgentSocket, shield: Shield): void {
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

  const conversation = async (conversationId: string) => {
    const stored = await ctx.store.getConversation(conversationId);
    if (!stored) throw new HandlerError('not_found', 'no such conversation');
    return summarize(ctx, stored);
  };

  register<AgentClientEvents, typeof agentEvents>(
    ctx,
    socket,
    agentEvents,
    {
      list: async ({ status, limit }) => {
        const stored = await ctx.store.listConversations({ status, limit });
        return { conversations: stored.map((s) => summarize(ctx, s)) };
      },
      open: async ({ conversationId, afterSeq }) => {
        const summary = await conversation(conversationId);
        const page = await ctx.store.messagesAfter(conversationId, afterSeq ?? 0);
        return { conversation: summary, ...page };
      },
      send: async ({ conversationId, clientId, text }, after) => {
        const { message, duplicate } = await ctx.store.appendMessage(conversationId, {
          author: 'agent',
          agentName: name,
          clientId,
          text,
        });
        if (!duplicate) {
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
        if (await ctx.store.markAgentRead(conversationId, seq)) after(() => pushSummary(ctx, conversationId));
        return {};
      },
      setStatus: async ({ conversationId, status }, after) => {
        const stored = await ctx.store.setStatus(conversationId, status);
        if (!stored) throw new HandlerError('not_found', 'no such conversation');
        const summary = summarize(ctx, stored);
        after(() => {
          ctx.visitors.to(conversationRoom(conversationId)).emit('status', { status });
          ctx.agents.to(AGENTS_ROOM).emit('conversation', summary);
        });
        return { conversation: summary };
      },
      presence: async ({ status }) => {
        if (ctx.presence.setAgentStatus(name, status)) broadcastPresence(ctx);
        return {};
      },
    },
    { limit: shield.agentEvents() },
  );
}
