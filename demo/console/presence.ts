import type { AgentLink } from './agent-link.js';

export type MyStatus = 'online' | 'away';

/** Keeps who is signed in and the agents' presence from `welcome` and `agents`. */
export function listenToPresence(link: AgentLink): void {
  link.listen('welcome', (w) => {
    link.update((s) => ({ ...s, me: w.name, agents: w.agents }));
  });
  link.listen('agents', ({ agents }) => {
    link.update((s) => ({ ...s, agents }));
  });
}

/** Sets this agent's status, shown at once and sent when connected. */
export function setPresence(link: AgentLink, status: MyStatus): void {
  link.update((s) => ({
    ...s,
    myStatus: status,
    agents: s.agents.map((a) => (a.name === s.me ? { ...a, status } : a)),
  }));
  if (link.socket.connected) link.socket.emit('presence', { status });
}

/** After a reconnect the gateway sees the agent online again: tell it the agent is still away. */
export function reannounceAway(link: AgentLink): void {
  if (link.state.get().myStatus === 'away') link.socket.emit('presence', { status: 'away' });
}
