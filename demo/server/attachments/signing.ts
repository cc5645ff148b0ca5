import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a download URL works after it was minted (`PARLEY_FILE_URL_TTL_MINUTES`). */
export const DEFAULT_URL_TTL_MS = 60 * 60 * 1000;

export type Variant = 'file' | 'thumb';

export interface UrlSigner {
  /** A path relative to the gateway, e.g. `/files/<id>/file?exp=…&sig=…`. */
  url(id: string, variant: Variant): string;
  /** Whether the signature is right for these parts and not expired. */
  verify(id: string, variant: string, exp: string | null, sig: string | null): boolean;
}

/**
 * Download URLs signed with HMAC-SHA256 over the attachment id, the variant and the expiry (seconds), so none of the
 * three can be changed; ids are random UUIDs, but the signature, not their secrecy, is what protects a file. The URL
 * is minted only into messages sent to the file's conversation (its visitor's room and the agents).
 */
export function createUrlSigner(secret: string, options: { ttlMs?: number; now?: () => number } = {}): UrlSigner {
  const ttlMs = options.ttlMs ?? DEFAULT_URL_TTL_MS;
  const now = options.now ?? Date.now;
  const mac = (id: string, variant: string, exp: string) =>
    createHmac('sha256', secret).update(`${id}\n${variant}\n${exp}`).digest();
  return {
    url(id, variant) {
      const exp = String(Math.ceil((now() + ttlMs) / 1000));
      return `/files/${id}/${variant}?exp=${exp}&sig=${mac(id, variant, exp).toString('base64url')}`;
    },
    verify(id, variant, exp, sig) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
      if (Number(exp) * 1000 < now()) return false;
      return timingSafeEqual(mac(id, variant, exp), Buffer.from(sig, 'base64url'));
    },
  };
}
