import type { GatewayContext } from '../handler-context';
import { HandlerError } from '../router';

/** Transcripts a day (24 h sliding window) so the gateway cannot be used to send mail to anyone, much or often. */
export interface TranscriptLimits {
  /** Per visitor (its one conversation); default 3. */
  perVisitor: number;
  /** Per recipient address, within the site; default 5. */
  perAddress: number;
  /** Per site, all visitors together; default 500 (`PARLEY_TRANSCRIPTS_PER_SITE_DAY`). */
  perSite: number;
}

export const DEFAULT_TRANSCRIPT_LIMITS: TranscriptLimits = { perVisitor: 3, perAddress: 5, perSite: 500 };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Queues a transcript of the conversation to the visitor's own address (captured or verified; never one given with
 * the request), within the limits. Rejects with `email_required`, `not_found` or `rate_limited`.
 */
export async function requestTranscript(
  ctx: GatewayContext,
  conversationId: string,
  limits: TranscriptLimits,
  now: number,
): Promise<{ to: string }> {
  if (!ctx.mail) throw new HandlerError('not_found', 'email is not set up on this gateway');
  const context = await ctx.store.mailContext(conversationId);
  if (!context) throw new HandlerError('not_found', 'no conversation yet');
  if (!context.email) throw new HandlerError('email_required', 'leave an email address first');
  const { queued, counts } = await ctx.mail.queueTranscript(
    { conversationId, recipient: context.email, site: context.site, since: now - DAY_MS },
    { conversation: limits.perVisitor, recipient: limits.perAddress, site: limits.perSite },
  );
  if (queued) return { to: context.email };
  const over =
    counts.conversation >= limits.perVisitor
      ? `at most ${limits.perVisitor} transcripts a day per visitor`
      : counts.recipient >= limits.perAddress
        ? `at most ${limits.perAddress} transcripts a day per address`
        : 'this site sent its transcripts for today';
  ctx.logger.info('transcript refused', { conversation: conversationId, site: context.site, reason: over });
  throw new HandlerError('rate_limited', `${over}; try again tomorrow`);
}
