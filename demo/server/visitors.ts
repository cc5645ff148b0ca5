import type { IncomingHttpHeaders } from 'node:http';
import type { VerifiedUser, VisitorClientEvents, VisitorWelcome } from '../../src/protocol';
import {
  AGENTS_ROOM,
  conversationRoom,
  type GatewayContext,
  pushSummary,
  refusal,
  type VisitorData,
  type VisitorSocket,
} from './context';
import { register } from './handle';
import type { IdentityVerifier } from './identity';
import { resolveSession } from './sessions';
import type { Shield } from './shield';
import { visitorLabel } from './store/types';
import { parse, VisitorAuthSchema, visitorEvents } from './validate';

export interface VisitorOptions {
  originAllowed(headers: IncomingHttpHeaders): boolean;
  /** Rate limits and connection caps. */
  shield: Shield;
  /** Checks `auth.userToken` against the site's secret. */
  verifyUser: IdentityVerifier;
  /** Avatar URLs of the agents that have one, by name (`welcome.avatars`). */
  avatars?: Record<string, string>;
}

/** Installs the `/visitor` namespace: handshake checks, session resolution, catch-up and the visitor's events. */
export function setupVisitors(ctx: GatewayContext, options: VisitorOptions): void {
  ctx.visitors.use((socket, next) => {
    const { headers } = socket.handshake;
    if (!options.originAllowed(headers)) {
      ctx.logger.info('visitor origin refused', { origin: String(headers.origin).slice(0, 200) });
      return next(refusal('origin_refused', 'this origin may not open a chat; see PARLEY_ORIGINS'));
    }
    // Before any database work: the address's budget and connection cap.
    const admitted = options.shield.admit(socket);
    if ('refused' in admitted) return next(admitted.refused);
    const { address, release } = admitted;
    const auth = parse(VisitorAuthSchema, socket.handshake.auth);
    if (!auth.ok) {
      release();
      return next(refusal(auth.code, auth.message));
    }
    const { session, site, page, locale, lastSeq, userToken } = auth.value;
    const userAgent = headers['user-agent']?.slice(0, 512);
    const handshake = async () => {
      // No token (or an empty one) is an anonymous visitor; a refused one is treated exactly the same, plus a reason.
      let user: VerifiedUser | undefined;
      let userTokenRefused: VisitorData['userTokenRefused'];
      if (userToken !== undefined && userToken !== null && userToken !== '') {
        const identity = await options.verifyUser(site, userToken);
        if (identity.ok) {
          user = identity.user;
        } else {
          userTokenRefused = { code: identity.code, message: identity.message };
          ctx.logger.info('user token refused', { site, reason: identity.message });
        }
      }
      const resolved = await resolveSession(ctx.store, {
        token: session ?? undefined,
        site,
        meta: { page, locale, userAgent },
        now: Date.now(),
        user,
      });
      const data: VisitorData = {
        visitorId: resolved.session.visitorId,
        conversationId: resolved.session.conversationId,
        label: visitorLabel(resolved.session.visitorId),
        token: resolved.token,
        renewed: resolved.renewed,
        // The presented lastSeq counts in the conversation the widget had; a new or re-pointed session leads to
        // another one (the widget resets its list when `welcome.conversationId` differs).
        lastSeq: resolved.switched ? 0 : (lastSeq ?? 0),
        identityChanged: resolved.identityChanged,
        sessionKey: resolved.session.tokenHash,
        address,
        release,
      };
      if (resolved.session.user) data.user = resolved.session.user;
      if (userTokenRefused) data.userTokenRefused = userTokenRefused;
      if (user) ctx.logger.debug('visitor identified', { site, visitor: data.visitorId, switched: resolved.switched });
      return data;
    };
    ctx.track(handshake()).then(
      (data) => {
        socket.data = data;
        next();
      },
      (err: unknown) => {
        release();
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
    socket.data.release();
    if (!ctx.presence.visitorDisconnected(conversationId)) return;
    if (ctx.presence.setVisitorTyping(conversationId, false)) {
      toAgents().emit('typing', { conversationId, who: label, author: 'visitor', typing: false });
    }
    void pushSummary(ctx, conversationId);
  });

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
            // Consoles derive a summary's preview, seq and unread count from `message` itself; only a change of
            // status needs the summary (one query and one more frame per console per message, saved otherwise).
            if (!reopened) return;
            ctx.visitors.to(room).emit('status', { status: 'open' });
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
    { limit: options.shield.visitorEvents(socket.data.sessionKey, socket.data.address) },
  );

  void ctx.track(welcome(ctx, socket, room, firstTab, options.avatars)).catch((err: unknown) => {
    ctx.logger.error('welcome failed', { socket: socket.id, err });
    socket.disconnect(true);
  });
}

async function welcome(
  ctx: GatewayContext,
  socket: VisitorSocket,
  room: string,
  firstTab: boolean,
  avatars?: Record<string, string>,
): Promise<void> {
  const { conversationId, token, renewed, lastSeq, user, userTokenRefused, identityChanged } = socket.data;
  // Join before reading the catch-up: a message stored in between is then broadcast to this socket rather than
  // lost (at worst it arrives twice, and the widget deduplicates by seq).
  await socket.join(room);
  const [page, conversation] = await Promise.all([
    ctx.store.messagesAfter(conversationId, lastSeq),
    ctx.store.getConversation(conversationId),
  ]);
  if (!conversation) throw new Error('conversation of a live session is missing');
  const { agents: presence, agent } = ctx.presence.aggregate();
  const w: VisitorWelcome = {
    session: token,
    conversationId,
    status: conversation.status,
    presence,
    ...(agent ? { agent } : {}),
    ...(avatars ? { avatars } : {}),
    messages: page.messages,
    more: page.more,
  };
  if (renewed) w.renewed = renewed;
  if (user) w.user = user;
  if (userTokenRefused) w.userTokenRefused = userTokenRefused;
  socket.emit('welcome', w);
  socket.data.token = null;
  // A newly verified visitor, or a new name or email, must reach the console even when another device is online.
  if (firstTab || identityChanged) await pushSummary(ctx, conversationId);
}
