import { errors, jwtVerify } from 'jose';
import type { VerifiedUser } from '../../src/protocol';
import { MIN_SITE_SECRET_LENGTH } from './config';

/**
 * Identity verification: a site's backend signs a short-lived JWT (HS256, with the site's secret from
 * `PARLEY_SITE_SECRETS`) naming its logged-in user; the widget passes it in `auth.userToken`. Only a token that passes
 * every check below identifies anyone. Refusal messages say why in plain words and never echo the token.
 */

/** A longer string is refused before any parsing. */
export const MAX_USER_TOKEN_LENGTH = 4096;
/** Longest accepted lifetime (`exp - iat`, or `exp - now` without `iat`): user tokens must be short-lived. */
export const MAX_USER_TOKEN_LIFETIME_S = 24 * 60 * 60;
/** Allowed clock difference between the site's backend and the gateway. */
export const CLOCK_TOLERANCE_S = 30;
export const CLAIM_LIMITS = { sub: 256, name: 200, email: 320 } as const;

export type IdentityResult =
  | { ok: true; user: VerifiedUser }
  | { ok: false; code: 'identity_invalid'; message: string };

/** Verifies user tokens against the configured per-site secrets. */
export type IdentityVerifier = (site: string, token: unknown, now?: number) => Promise<IdentityResult>;

/** Throws when a secret is too short (the gateway refuses to start rather than accept forgeable tokens). */
export function createIdentityVerifier(secrets: ReadonlyMap<string, string>): IdentityVerifier {
  const keys = new Map<string, Uint8Array>();
  for (const [site, secret] of secrets) {
    if (secret.length < MIN_SITE_SECRET_LENGTH) {
      throw new Error(`the identity secret of site "${site}" must be at least ${MIN_SITE_SECRET_LENGTH} characters`);
    }
    // The same bytes a backend gets from `new TextEncoder().encode(secret)`.
    keys.set(site, new TextEncoder().encode(secret));
  }

  return async (site, token, now = Date.now()) => {
    if (typeof token !== 'string' || token.length === 0) return refuse('the user token is malformed: not a string');
    if (token.length > MAX_USER_TOKEN_LENGTH) {
      return refuse(`the user token is malformed: longer than ${MAX_USER_TOKEN_LENGTH} characters`);
    }
    const key = keys.get(site);
    if (!key) return refuse(`no identity secret is configured for site "${site}" (see PARLEY_SITE_SECRETS)`);

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(now),
      }));
    } catch (err) {
      return refuse(explain(err));
    }
    return checkClaims(payload, Math.floor(now / 1000));
  };
}

function checkClaims(payload: Record<string, unknown>, nowS: number): IdentityResult {
  const { sub, exp, iat, name, email } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > CLAIM_LIMITS.sub) {
    return refuse(`the user token's "sub" claim (the user id) must be a string of 1 to ${CLAIM_LIMITS.sub} characters`);
  }
  // jose has checked that `exp` is a number in the future and `iat`, when present, a number.
  const expS = exp as number;
  if (typeof iat === 'number' && iat > nowS + CLOCK_TOLERANCE_S) {
    return refuse('the user token was issued in the future ("iat"); check the clock of the server that signs it');
  }
  // From `iat`, or from now when `iat` is absent or ahead of our clock, so a future `iat` cannot stretch a token's life.
  const issuedS = typeof iat === 'number' ? Math.min(iat, nowS) : nowS;
  if (expS - issuedS > MAX_USER_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S) {
    return refuse('the user token lives longer than 24 hours; sign short-lived tokens (e.g. 10 minutes)');
  }
  const user: VerifiedUser = { id: sub };
  for (const claim of ['name', 'email'] as const) {
    const value = claim === 'name' ? name : email;
    // `null` and blank are common for "unknown" and mean the same as absent.
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return refuse(`the user token's "${claim}" claim must be a string`);
    const trimmed = value.trim();
    if (trimmed.length > CLAIM_LIMITS[claim]) {
      return refuse(`the user token's "${claim}" claim is longer than ${CLAIM_LIMITS[claim]} characters`);
    }
    if (trimmed) user[claim] = trimmed;
  }
  return { ok: true, user };
}

function refuse(message: string): IdentityResult {
  return { ok: false, code: 'identity_invalid', message };
}

/** jose's messages are precise but technical; these say what to fix. */
function explain(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the user token has expired; sign a fresh one for each page load';
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return "the user token's signature is invalid: it was not signed with this site's secret";
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the user token must be signed with HS256 (alg "HS256")';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `the user token is missing the required "${err.claim}" claim`;
    if (err.claim === 'nbf') return 'the user token is not valid yet ("nbf" is in the future)';
    return `the user token's "${err.claim}" claim is invalid`;
  }
  return 'the user token is malformed: not a signed JWT (header.payload.signature)';
}
