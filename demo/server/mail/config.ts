import type { MailOptions } from './index';
import { DEFAULT_TRANSCRIPT_LIMITS } from './transcripts';

/** Minimum length of `PARLEY_INBOUND_TOKEN` and `PARLEY_MAIL_SECRET`: guessing must be hopeless. */
const MIN_SECRET = 24;

/**
 * The email settings of the environment (README "Email"); undefined without `PARLEY_SMTP_URL` (no email at all).
 * Throws an Error naming the variable at fault, never a secret's value.
 */
export function readMailConfig(env: NodeJS.ProcessEnv): MailOptions | undefined {
  const smtpUrl = env.PARLEY_SMTP_URL?.trim();
  if (!smtpUrl) {
    for (const name of ['PARLEY_INBOUND_DOMAIN', 'PARLEY_INBOUND_SMTP_PORT', 'PARLEY_INBOUND_TOKEN']) {
      if (env[name]?.trim()) throw new Error(`${name} is set but PARLEY_SMTP_URL is not: replies need outgoing mail`);
    }
    return undefined;
  }
  if (!/^smtps?:\/\/[^/\s]+/i.test(smtpUrl)) {
    throw new Error('PARLEY_SMTP_URL must be an SMTP URL (smtp://user:pass@mail.example:587 or smtps://…:465)');
  }
  const from = env.PARLEY_MAIL_FROM?.trim();
  if (!from || !/@[^@\s>]+\.[^@\s>]+>?$/.test(from)) {
    throw new Error('PARLEY_MAIL_FROM must be the sender, e.g. "Acme support <support@acme.example>"');
  }
  const options: MailOptions = { smtpUrl, from, delayMs: seconds(env, 'PARLEY_EMAIL_DELAY_S', 120) * 1000 };
  const giveUpHours = number(env, 'PARLEY_EMAIL_GIVE_UP_HOURS', 48, 1);
  options.giveUpMs = giveUpHours * 3_600_000;
  if (env.PARLEY_TRANSCRIPTS_PER_SITE_DAY?.trim()) {
    const perSite = number(env, 'PARLEY_TRANSCRIPTS_PER_SITE_DAY', 0, 1);
    options.transcriptLimits = { ...DEFAULT_TRANSCRIPT_LIMITS, perSite: Math.floor(perSite) };
  }
  const domain = env.PARLEY_INBOUND_DOMAIN?.trim().toLowerCase();
  if (domain) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
      throw new Error('PARLEY_INBOUND_DOMAIN must be a domain name, e.g. reply.acme.example');
    }
    options.inboundDomain = domain;
  }
  if (env.PARLEY_INBOUND_SMTP_PORT?.trim()) {
    if (!domain) throw new Error('PARLEY_INBOUND_SMTP_PORT needs PARLEY_INBOUND_DOMAIN (the Reply-To domain)');
    const port = number(env, 'PARLEY_INBOUND_SMTP_PORT', 0, 0);
    if (!Number.isInteger(port) || port > 65535) throw new Error('PARLEY_INBOUND_SMTP_PORT must be a port, 0 to 65535');
    options.inboundSmtpPort = port;
  }
  const token = env.PARLEY_INBOUND_TOKEN?.trim();
  if (token) {
    if (!domain) throw new Error('PARLEY_INBOUND_TOKEN needs PARLEY_INBOUND_DOMAIN (the Reply-To domain)');
    if (token.length < MIN_SECRET) throw new Error(`PARLEY_INBOUND_TOKEN must be at least ${MIN_SECRET} characters`);
    options.inboundToken = token;
  }
  const secret = env.PARLEY_MAIL_SECRET?.trim();
  if (secret) {
    if (secret.length < MIN_SECRET) throw new Error(`PARLEY_MAIL_SECRET must be at least ${MIN_SECRET} characters`);
    options.secret = secret;
  }
  return options;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = number(env, name, fallback, 0);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number of seconds, got "${env[name]}"`);
  return value;
}
