/** A random idempotency key for a send: 16 bytes from `crypto.getRandomValues`, base64url (22 chars of [A-Za-z0-9_-]). */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
