import type { AgentPresence, VisitorPresence } from '../../src/protocol';

/**
 * Who is connected, kept in memory by the one gateway process: agents by name (an agent may have several console
 * tabs), visitors by conversation (a visitor may have several tabs), and which visitors are typing.
 */
export interface Presence {
  /** Every configured agent, connected or not, in configuration order. */
  agents(): AgentPresence[];
  /** What visitors see (see `VisitorPresence`): the aggregate status and the first online agent's name. */
  aggregate(): VisitorPresence;
  /** The aggregate if it differs from what the previous call returned (initially `offline`), else undefined. */
  takeAggregateChange(): VisitorPresence | undefined;
  /** Returns true when this is the agent's first socket. */
  agentConnected(name: string): boolean;
  /** Returns true when the agent has no socket left. */
  agentDisconnected(name: string): boolean;
  /** Returns true when the status changed. */
  setAgentStatus(name: string, status: 'online' | 'away'): boolean;
  /** Returns true when this is the conversation's first visitor socket. */
  visitorConnected(conversationId: string): boolean;
  /** Returns true when the conversation has no visitor socket left. */
  visitorDisconnected(conversationId: string): boolean;
  visitorOnline(conversationId: string): boolean;
  /** Returns true when the visitor's typing state changed. */
  setVisitorTyping(conversationId: string, typing: boolean): boolean;
}

/** The visitors' view of a roster given in configuration order. */
export function visitorPresence(roster: AgentPresence[]): VisitorPresence {
  const online = roster.find((a) => a.status === 'online');
  if (online) return { agents: 'online', agent: online.name };
  return { agents: roster.some((a) => a.status === 'away') ? 'away' : 'offline' };
}

/** `takeAggregateChange` for an `aggregate`: the view when it differs from the last one returned, else undefined. */
export function aggregateChanges(aggregate: () => VisitorPresence): () => VisitorPresence | undefined {
  let announced = JSON.stringify({ agents: 'offline' });
  return () => {
    const now = aggregate();
    const key = JSON.stringify(now);
    if (key === announced) return undefined;
    announced = key;
    return now;
  };
}

/** Presence as counted from this process's own sockets, with what it shares with other processes (cluster-presence.ts). */
export interface LocalPresence extends Presence {
  /** The agents with a socket here, by name, with their status. */
  connectedAgents(): Record<string, 'online' | 'away'>;
  /** The conversations with a visitor socket here. */
  connectedVisitors(): string[];
}

export function createPresence(agentNames: readonly string[]): LocalPresence {
  const agents = new Map<string, { sockets: number; status: 'online' | 'away' }>();
  const visitors = new Map<string, number>();
  const typing = new Set<string>();
  const roster = (): AgentPresence[] =>
    agentNames.map((name) => {
      const entry = agents.get(name);
      return { name, status: entry ? entry.status : 'offline' };
    });
  const aggregate = () => visitorPresence(roster());

  return {
    agents: roster,
    aggregate,
    takeAggregateChange: aggregateChanges(aggregate),
    agentConnected: (name) => {
      const entry = agents.get(name);
      if (entry) {
        entry.sockets++;
        return false;
      }
      agents.set(name, { sockets: 1, status: 'online' });
      return true;
    },
    agentDisconnected: (name) => {
      const entry = agents.get(name);
      if (!entry) return false;
      if (--entry.sockets > 0) return false;
      agents.delete(name);
      return true;
    },
    setAgentStatus: (name, status) => {
      const entry = agents.get(name);
      if (!entry || entry.status === status) return false;
      entry.status = status;
      return true;
    },
    visitorConnected: (conversationId) => {
      const count = visitors.get(conversationId) ?? 0;
      visitors.set(conversationId, count + 1);
      return count === 0;
    },
    visitorDisconnected: (conversationId) => {
      const count = (visitors.get(conversationId) ?? 1) - 1;
      if (count > 0) {
        visitors.set(conversationId, count);
        return false;
      }
      visitors.delete(conversationId);
      return true;
    },
    visitorOnline: (conversationId) => visitors.has(conversationId),
    connectedAgents: () => Object.fromEntries([...agents].map(([name, entry]) => [name, entry.status])),
    connectedVisitors: () => [...visitors.keys()],
    setVisitorTyping: (conversationId, value) => {
      if (typing.has(conversationId) === value) return false;
      if (value) typing.add(conversationId);
      else typing.delete(conversationId);
      return true;
    },
  };
}
