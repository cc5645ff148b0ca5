/** The Socket.IO rooms the gateway broadcasts to. */

/** Room of every agent socket. */
export const AGENTS_ROOM = 'agents';
/** Room of every visitor socket (all tabs) of one conversation. */
export const conversationRoom = (conversationId: string): string => `conv:${conversationId}`;
/** Room of every visitor socket (all tabs) of one session, keyed by the token's hash: revocation disconnects it. */
export const sessionRoom = (sessionKey: string): string => `session:${sessionKey}`;
/** Room of every visitor socket of one site (availability is per site). */
export const siteRoom = (site: string): string => `site:${site}`;
/** The site of a `siteRoom` name, or undefined for another room. */
export const siteOfRoom = (room: string): string | undefined => (room.startsWith('site:') ? room.slice(5) : undefined);
