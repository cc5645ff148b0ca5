import type { IncomingHttpHeaders } from 'node:http';
import type { VisitorClientEvents, VisitorWelcome } from '../../src/protocol';
import {
  AGENTS_ROOM,
  conversationRoom,
  type GatewayContext,
  pushSummary,
  refusal,
  type VisitorSocket,
} from './context';
import { register } from './handle';
import { createBucket } from './rate';
import { resolveSession } from './sessions';
import { visitorLabel } from './store/types';
import { parse, VisitorAuthSchema, visitorEvents } from './validate';

export interface VisitorOptions {
  originAllowed(headers: IncomingHttpHeaders): boolean;
  /** Per-socket budget of client events; `false` disables it. */
  rateLimit: { burst: number; perSecond: number } | false;
}

/** Installs the `/visitor` namespace: handshake checks, session resolution, catch-up and the visitor's events. */
export function setupVisitors(ctx: GatewayContext, options: VisitorOptions): void {
  ctx.visitors.use((socket, next) => {
    const { headers } = socket.handshake;
    if (!options.originAllowed(headers)) {
      ctx.logger.info('visitor origin refused', { origin: String(headers.origin).slice(0, 200) });
      return next(refusal('origin_refused', 'this origin may not open a chat; see PARLEY_ORIGINS'));
    }
    const auth = parse(VisitorAuthSchema, socket.handshake.auth);
    if (!auth.ok) return next(refusal(auth.code, auth.message));
    const { session, site, page, locale, lastSeq } = auth.value;
    const userAgent = headers['user-agent']?.slice(0, 512);
    ctx
      .track(
        resolveSession(ctx.store, {
          token: session ?? undefined,
          site,
          meta: { page, locale, userAgent },
          now: Date.now(),
        }),
      )
      .then(
        (resolved) => {
          socket.data = {
            visitorId: resolved.session.visitorId,
            conversationId: resolved.session.conversationId,
            label: visitorLabel(resolved.session.visitorId),
            token: resolved.token,
            renewed: resolved.renewed,
            // A new session's conversation is empty; the presented lastSeq belonged to another one.
            lastSeq: resolved.token === null ? (lastSeq ?? 0) : 0,
          };
          next();
        },
        (err: unknown) => {
          ctx.logger.error('session resolution failed', { err });
          next(refusal('storage_error', 'could not open the session; retry later'));
        },
      );
  });

  ctx.visitors.on('connection', (socket) => onConnection(ctx, socket, options));
}

function onConnection(ctx: GatewayContext, socket: VisitorSocket, options: VisitorOptions): void {
  const { conversationId, label } = socket.data;
  const room = conversationRoom(conversationId);
  const firstTab = ctx.presence.visitorConnected(conversationId);
  const toAgents = () => ctx.agents.to(AGENTS_ROOM);

  socket.on('disconnect', () => {
    if (!ctx.presence.visitorDisconnected(conversationId)) return;
    if (ctx.presence.setVisitorTyping(conversationId, false)) {
      toAgents().emit('typing', { conversationId, who: label, author: 'visitor', typing: false });
    }
    void pushSummary(ctx, conversationId);
  });

  const bucket = options.rateLimit ? createBucket(options.rateLimit.burst, options.rateLimit.perSecond) : undefined;
  register<VisitorClientEvents, typeof visitorEvents>(
    ctx,
    socket,
    visitorEvents,
    {
      send: async ({ clientId, text }, after) => {
        const { message, duplicate, reopened } = await ctx.store.appendMessage(conversationId, {
          author: 'visitor',
          clientId,
          text,
        });
        if (!duplicate) {
          // Receivers hide the typing bubble on a message themselves; only the disconnect bookkeeping needs this.
          ctx.presence.setVisitorTyping(conversationId, false);
          after(() => {
            socket.to(room).emit('message', message);
            toAgents().emit('message', message);
            if (reopened) ctx.visitors.to(room).emit('status', { status: 'open' });
            return pushSummary(ctx, conversationId);
          });
        }
        return { message, duplicate };
      },
      history: ({ afterSeq }) => ctx.store.messagesAfter(conversationId, afterSeq),
      typing: async ({ typing }) => {
        ctx.presence.setVisitorTyping(conversationId, typing);
        toAgents().emit('typing', { conversationId, who: label, author: 'visitor', typing });
        return {};
      },
      read: async ({ seq }) => {
        await ctx.store.markVisitorRead(conversationId, seq);
        return {};
      },
      page: async (page, after) => {
        await ctx.store.updateVisitorMeta(socket.data.visitorId, { page });
        after(() => pushSummary(ctx, conversationId));
        return {};
      },
    },
    bucket ? { allow: bucket } : {},
  );

  void ctx.track(welcome(ctx, socket, room, firstTab)).catch((err: unknown) => {
    ctx.logger.error('welcome failed', { socket: socket.id, err });
    socket.disconnect(true);
  });
}

async function welcome(ctx: GatewayContext, socket: VisitorSocket, room: string, firstTab: boolean): Promise<void> {
  const { conversationId, token, renewed, lastSeq } = socket.data;
  // Join before reading the catch-up: a message stored in between is then broadcast to this socket rather than
  // lost (at worst it arrives twice, and the widget deduplicates by seq).
  await socket.join(room);
  const [page, conversation] = await Promise.all([
    ctx.store.messagesAfter(conversationId, lastSeq),
    ctx.store.getConversation(conversationId),
  ]);
  if (!conversation) throw new Error('conversation of a live session is missing');
  const w: VisitorWelcome = {
    session: token,
    conversationId,
    status: conversation.status,
    presence: ctx.presence.aggregate(),
    messages: page.messages,
    more: page.more,
  };
  if (renewed) w.renewed = renewed;
  socket.emit('welcome', w);
  socket.data.token = null;
  if (firstTab) await pushSummary(ctx, conversationId);
}
