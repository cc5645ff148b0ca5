import type * as v from 'valibot';
import {
  type PageInfo,
  PROTOCOL_VERSION,
  type VerifiedUser,
  type VisitorClientEvents,
  type VisitorWelcome,
} from '../../src/protocol';
import { claimBy } from './attachments/sweep';
import { pushSummary } from './broadcasts';
import type { GatewayContext, VisitorData, VisitorSocket } from './handler-context';
import type { IdentityVerifier } from './identity';
import { DEFAULT_TRANSCRIPT_LIMITS, requestTranscript, type TranscriptLimits } from './mail/transcripts';
import type { OriginPolicy } from './origins';
import { agentRating, RATING_CHANGE_MS, ratingOffer } from './ratings';
import { pushReads } from './read-receipts';
import { refusal } from './refusal';
import { AGENTS_ROOM, conversationRoom, sessionRoom, siteRoom } from './rooms';
import { HandlerError, type Handlers, register } from './router';
import { replyRoom } from './send-buffer';
import { resolveSession, type SessionPolicy } from './sessions';
import type { Shield } from './shield';
import { type NewMessage, NotFoundError, visitorLabel } from './store/types';
import { parse, VisitorAuthSchema, visitorEvents } from './validate';

export interface VisitorOptions {
  origins: OriginPolicy;
  /** Rate limits and connection caps. */
  shield: Shield;
  /** Checks `auth.userToken` against the site's secret. */
  verifyUser: IdentityVerifier;
  /** Avatar URLs of the agents that have one, by name (`welcome.avatars`). */
  avatars?: Record<string, string>;
  /** Session lifetimes. */
  sessionPolicy?: SessionPolicy;
  /** Clock for session expiry; default `Date.now`. */
  now?: () => number;
  /** Transcripts by email a day (`PARLEY_TRANSCRIPTS_PER_SITE_DAY` for the site cap). */
  transcriptLimits?: TranscriptLimits;
  /** Sites with a pre-chat form, and their privacy policy URL (`PARLEY_PRECHAT`, `welcome.prechat`). */
  prechat?: Record<string, string>;
}

/** Installs the `/visitor` namespace: handshake checks, session resolution, catch-up and the visitor's events. */
export function setupVisitors(ctx: GatewayContext, options: VisitorOptions): void {
  ctx.visitors.use((socket, next) => {
    const { headers } = socket.handshake;
    if (!options.origins.visitorAllowed(headers)) {
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
    if (auth.value.v !== PROTOCOL_VERSION) {
      release();
      // A page still holding an older (or newer) parley.js than this gateway serves: a reload fetches the right one.
      return next(
        refusal(
          'version_unsupported',
          `this gateway speaks protocol ${PROTOCOL_VERSION}, the widget ${auth.value.v}; reload the page`,
        ),
      );
    }
    const { site } = auth.value;
    if (!options.origins.visitorAllowed(headers, site)) {
      release();
      ctx.logger.info('visitor origin refused for site', { origin: String(headers.origin).slice(0, 200), site });
      return next(refusal('origin_refused', 'this origin may not open a chat for this site; see PARLEY_ORIGINS'));
    }
    const userAgent = headers['user-agent']?.slice(0, 512);
    const handshake = resolveVisitor(ctx, options, { ...auth.value, userAgent, address, release });
    ctx.track(handshake).then(
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

/** What a visitor's handshake presented, once its origin, address budget and protocol version passed. */
interface VisitorHandshake extends v.InferOutput<typeof VisitorAuthSchema> {
  userAgent: string | undefined;
  address: string;
  release: () => void;
}

/** Verifies the user token, if any, and resolves (or issues) the session: the socket's data. */
async function resolveVisitor(
  ctx: GatewayContext,
  options: VisitorOptions,
  hello: VisitorHandshake,
): Promise<VisitorData> {
  const { session, site, page, locale, lastSeq, userToken, userAgent, address, release } = hello;
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
  const resolved = await resolveSession(
    ctx.store,
    {
      token: session ?? undefined,
      site,
      meta: { page, locale, userAgent },
      now: (options.now ?? Date.now)(),
      user,
    },
    options.sessionPolicy,
  );
  const data: VisitorData = {
    visitorId: resolved.session.visitorId,
    site: resolved.session.site,
    conversationId: resolved.session.conversationId,
    started: resolved.session.started,
    label: visitorLabel(resolved.session.visitorId),
    token: resolved.token,
    renewed: resolved.renewed,
    // The presented lastSeq counts in the conversation the widget had; a new or re-pointed session leads to
    // another one (the widget resets its list when `welcome.conversationId` differs).
    lastSeq: resolved.switched ? 0 : (lastSeq ?? 0),
    identityChanged: resolved.identityChanged,
    emailKnown: (resolved.session.email ?? resolved.session.user?.email) !== undefined,
    sessionKey: resolved.session.tokenHash,
    address,
    release,
  };
  if (page) recordLandingPage(ctx, data.visitorId, page, (options.now ?? Date.now)());
  if (resolved.session.user) data.user = resolved.session.user;
  if (resolved.revoked) data.revoked = resolved.revoked;
  if (userTokenRefused) data.userTokenRefused = userTokenRefused;
  if (user) ctx.logger.debug('visitor identified', { site, visitor: data.visitorId, switched: resolved.switched });
  return data;
}

/**
 * The handshake's page joins the visitor's page history (agents see it in the details pane). Not awaited: a failure
 * costs the history one entry, never the visitor their connection.
 */
function recordLandingPage(ctx: GatewayContext, visitorId: string, page: PageInfo, at: number): void {
  void ctx.track(
    ctx.store.recordPageView(visitorId, page, at).catch((err: unknown) => {
      ctx.logger.error('page view not recorded', { visitor: visitorId, err });
    }),
  );
}

/** A visitor's socket, once admitted: presence, its events, and the welcome with the catch-up. */
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
    visitorHandlers(ctx, socket, options),
    {
      limit: options.shield.visitorEvents(socket.data.sessionKey, socket.data.address),
      room: replyRoom(socket.conn, ['history']),
    },
  );

  void ctx.track(welcome(ctx, socket, room, firstTab, options)).catch((err: unknown) => {
    ctx.logger.error('welcome failed', { socket: socket.id, err });
    socket.disconnect(true);
  });
}

/** The visitor's events: send, history, typing, read, page and end, each on the socket's own conversation. */
function visitorHandlers(
  ctx: GatewayContext,
  socket: VisitorSocket,
  options: VisitorOptions,
): Handlers<VisitorClientEvents, typeof visitorEvents> {
  const { conversationId, label } = socket.data;
  const room = conversationRoom(conversationId);
  const toAgents = () => ctx.agents.to(AGENTS_ROOM);
  return {
    send: async ({ clientId, text, attachments }, after) => {
      const claim = attachments && claimBy(`visitor:${socket.data.visitorId}`, attachments);
      const { message, duplicate, reopened, created } = await storeVisitorMessage(ctx, socket, {
        clientId,
        text,
        ...(claim ? { attachments: claim } : {}),
      });
      if (!duplicate) {
        // Receivers hide the typing bubble on a message themselves; only the disconnect bookkeeping needs this.
        ctx.presence.setVisitorTyping(conversationId, false);
        after(() => {
          socket.to(room).emit('message', message);
          toAgents().emit('message', message);
          if (created || reopened) ctx.autoAssign.nudge();
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
      // Before the first message there is no conversation to type into, and nobody to tell: dropped quietly.
      if (!(await started(ctx, socket))) return {};
      ctx.presence.setVisitorTyping(conversationId, typing);
      toAgents().emit('typing', { conversationId, who: label, author: 'visitor', typing });
      return {};
    },
    read: async ({ seq }, after) => {
      if (await ctx.store.markVisitorRead(conversationId, seq)) after(() => pushReads(ctx, conversationId, 'visitor'));
      return {};
    },
    page: async (page, after) => {
      await ctx.store.updateVisitorMeta(socket.data.visitorId, { page });
      await ctx.store.recordPageView(socket.data.visitorId, page, (options.now ?? Date.now)());
      after(() => pushSummary(ctx, conversationId));
      return {};
    },
    end: async (_payload, after) => {
      const { sessionKey } = socket.data;
      await ctx.store.deleteSession(sessionKey);
      ctx.logger.debug('visitor session ended', { visitor: socket.data.visitorId });
      // Every tab of the session, on every gateway process, this socket included, once it heard back.
      after(() => ctx.visitors.in(sessionRoom(sessionKey)).disconnectSockets(true));
      return {};
    },
    ...awayHandlers(ctx, socket, options),
  };
}

/** The pre-chat form's settings for an anonymous visitor of a site that has one (`welcome.prechat`). */
function prechatOffer(
  prechat: Record<string, string> | undefined,
  site: string,
  user: VerifiedUser | undefined,
): Pick<VisitorWelcome, 'prechat'> {
  const privacyUrl = user ? undefined : prechat?.[site];
  return privacyUrl ? { prechat: { privacyUrl } } : {};
}

/** Issue 15's visitor events: a transcript by email, a satisfaction rating, the visitor's email address. */
function awayHandlers(
  ctx: GatewayContext,
  socket: VisitorSocket,
  options: VisitorOptions,
): Pick<Handlers<VisitorClientEvents, typeof visitorEvents>, 'transcript' | 'rate' | 'email'> {
  const { conversationId } = socket.data;
  return {
    transcript: async () => {
      if (!(await started(ctx, socket))) throw new HandlerError('not_found', 'no conversation yet');
      return requestTranscript(ctx, conversationId, options.transcriptLimits ?? DEFAULT_TRANSCRIPT_LIMITS, Date.now());
    },
    rate: async ({ score, comment }, after) => {
      const record = await ctx.store.rate(conversationId, { score, comment }, Date.now(), RATING_CHANGE_MS);
      const rating = agentRating(record);
      if (!record || !rating)
        throw new HandlerError('not_found', 'no rating to give: not resolved by an agent, or more than a day ago');
      after(() => ctx.agents.to(AGENTS_ROOM).emit('rating', { conversationId, rating }));
      return { rating: ratingOffer(record, Date.now()) ?? {} };
    },
    email: async ({ email, name, consent }, after) => {
      // The pre-chat form's name goes with the consent to the site's privacy policy, never without it.
      if (name !== undefined && consent !== true)
        throw new HandlerError('consent_required', 'a name is stored only with consent: true to the privacy policy');
      socket.data.emailKnown = true;
      // A verified visitor's address is its user token's: nothing to store, nothing to tell.
      if (await ctx.store.setVisitorEmail(socket.data.visitorId, email, name)) {
        after(() => (socket.data.started ? pushSummary(ctx, conversationId) : undefined));
      }
      return {};
    },
  };
}

/**
 * Stores a visitor message; the session's first one creates the conversation with it. A session swept while its
 * socket stayed open has no visitor left: the socket is closed after the refusal, so the widget reconnects into a new
 * session and resends from its outbox.
 */
async function storeVisitorMessage(ctx: GatewayContext, socket: VisitorSocket, input: Omit<NewMessage, 'author'>) {
  try {
    const result = await ctx.store.appendMessage(socket.data.conversationId, { author: 'visitor', ...input });
    socket.data.started = true;
    return result;
  } catch (err) {
    if (err instanceof NotFoundError) setImmediate(() => socket.disconnect(true));
    throw err;
  }
}

/** Whether the socket's conversation exists (another tab's first message may have created it since the handshake). */
async function started(ctx: GatewayContext, socket: VisitorSocket): Promise<boolean> {
  socket.data.started ||= await ctx.store.hasConversation(socket.data.conversationId);
  return socket.data.started;
}

async function welcome(
  ctx: GatewayContext,
  socket: VisitorSocket,
  room: string,
  firstTab: boolean,
  { avatars, prechat }: Pick<VisitorOptions, 'avatars' | 'prechat'>,
): Promise<void> {
  const { conversationId, token, renewed, lastSeq, user, userTokenRefused, identityChanged, sessionKey } = socket.data;
  // Join before reading the catch-up: a message stored in between is then broadcast to this socket rather than
  // lost (at worst it arrives twice, and the widget deduplicates by seq). Joining the session's room before checking
  // that the session still exists closes the race with a rotation or `end` elsewhere: either this check sees it, or
  // the disconnection of the room reaches this socket.
  await socket.join([room, sessionRoom(sessionKey), siteRoom(socket.data.site)]);
  const [page, conversation, live] = await Promise.all([
    ctx.store.messagesAfter(conversationId, lastSeq),
    ctx.store.getConversation(conversationId),
    ctx.store.findSession(sessionKey),
  ]);
  // Only a resolved conversation can have a rating to offer: no extra query for the others.
  const rating =
    conversation?.status === 'resolved'
      ? ratingOffer(await ctx.store.getRating(conversationId), Date.now())
      : undefined;
  if (!live) {
    socket.disconnect(true);
    return;
  }
  if (conversation) socket.data.started = true;
  const { agents: presence, agent } = ctx.presence.aggregate();
  const w: VisitorWelcome = {
    session: token,
    conversationId: conversation ? conversationId : null,
    status: conversation?.status ?? 'open',
    presence,
    ...(agent ? { agent } : {}),
    ...(avatars ? { avatars } : {}),
    availability: ctx.availability.current(socket.data.site),
    ...(socket.data.emailKnown ? { emailKnown: true } : {}),
    ...prechatOffer(prechat, socket.data.site, user),
    ...(rating ? { rating } : {}),
    messages: page.messages,
    more: page.more,
  };
  if (conversation?.agentReadSeq) w.agentReadSeq = conversation.agentReadSeq;
  if (renewed) w.renewed = renewed;
  if (user) w.user = user;
  if (userTokenRefused) w.userTokenRefused = userTokenRefused;
  socket.emit('welcome', w);
  socket.data.token = null;
  // The token this handshake rotated away: whoever still holds a socket with it (another tab, or whoever planted it)
  // loses it now, after this socket was told its new token. The widget's other tabs reconnect with the new one.
  if (socket.data.revoked) ctx.visitors.in(sessionRoom(socket.data.revoked)).disconnectSockets(true);
  // A newly verified visitor, or a new name or email, must reach the console even when another device is online.
  if (firstTab || identityChanged) await pushSummary(ctx, conversationId);
}
