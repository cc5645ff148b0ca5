/**
 * A client message id: 128 random bits as 32 hex characters. crypto.getRandomValues, unlike crypto.randomUUID, is
 * available on plain-http pages too.
 */
export function clientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
