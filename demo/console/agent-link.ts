import type { SocketReservedEvents } from 'socket.io-client';
import type { AgentServerEvents } from '../../src/protocol.js';
import { type AgentSocket, createAgentSocket } from './connection.js';
import { type ConsoleState, createStateHolder, initialState, type StateHolder } from './state.js';

type Listened = AgentServerEvents & SocketReservedEvents;

/** What every part of the controller shares: the agent socket, the console's state, and one teardown. */
export interface AgentLink {
  readonly socket: AgentSocket;
  readonly state: StateHolder<ConsoleState>;
  isTornDown(): boolean;
  /** Changes the state, unless torn down: a late ack must not touch a console that is gone. */
  update(fn: (s: ConsoleState) => ConsoleState): void;
  /** Adds a socket listener that teardown removes. */
  listen<E extends keyof Listened>(event: E, fn: Listened[E]): void;
  /** Runs `fn` at teardown, before the socket closes. */
  onTeardown(fn: () => void): void;
  /** Removes every listener and timer, then closes the socket; runs once. */
  tearDown(): void;
}

export function createAgentLink(token: string): AgentLink {
  const socket = createAgentSocket(token);
  const state = createStateHolder(initialState());
  const cleanups: (() => void)[] = [];
  let tornDown = false;
  return {
    socket,
    state,
    isTornDown: () => tornDown,
    update(fn) {
      if (!tornDown) state.update(fn);
    },
    listen(event, fn) {
      // Socket.IO's overloads cannot see that `fn` matches `event` inside a generic; each call site is checked.
      const on = socket.on as unknown as (e: string, f: unknown) => void;
      const off = socket.off as unknown as (e: string, f: unknown) => void;
      on.call(socket, event, fn);
      cleanups.push(() => off.call(socket, event, fn));
    },
    onTeardown(fn) {
      cleanups.push(fn);
    },
    tearDown() {
      if (tornDown) return;
      tornDown = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      socket.disconnect();
    },
  };
}
