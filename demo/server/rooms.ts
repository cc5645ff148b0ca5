/** The Socket.IO rooms the gateway broadcasts to. */

/** Room of every agent socket. */
export const AGENTS_ROOM = 'agents';
/** Room of every visitor socket (all tabs) of one conversation. */
export const conversationRoom = (conversationId: string): string => `conv:${conversationId}`;
/** Room of every visitor socket (all tabs) of one session, keyed by the token's hash: revocation disconnects it. */
export const sessionRoom = (sessionKey: string): string => `session:${sessionKey}`;
