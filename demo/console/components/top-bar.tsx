import type { ComponentChildren } from 'preact';
import type { AgentPresence } from '../../../src/protocol.js';
import type { ConnectionStatus } from '../state.js';

interface Props {
  me: string | null;
  myStatus: 'online' | 'away';
  agents: AgentPresence[];
  connection: ConnectionStatus;
  connectionError: string | null;
  onPresence(status: 'online' | 'away'): void;
  onSignOut(): void;
  /** More of the agent's own controls, before Sign out. */
  children?: ComponentChildren;
}

const CONNECTION_TEXT: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
};

const STATUS_TEXT = { online: 'Online', away: 'Away', offline: 'Offline' } as const;

/** Top bar: who is signed in, their presence, the other agents, the connection, sign-out. */
export function TopBar({ me, myStatus, agents, connection, connectionError, onPresence, onSignOut, children }: Props) {
  const others = agents.filter((a) => a.name !== me);
  return (
    <header class="topbar">
      <h1 class="brand">
        Parley <span class="muted">agent console</span>
      </h1>

      <p class={`connection connection--${connection}`} role="status" title={connectionError ?? undefined}>
        <span class="dot" aria-hidden="true" />
        {CONNECTION_TEXT[connection]}
        {connection !== 'connected' && connectionError && <span class="sr-only"> ({connectionError})</span>}
      </p>

      {others.length > 0 && (
        <ul class="agents" aria-label="Other agents">
          {others.map((a) => (
            <li key={a.name} class={`agent agent--${a.status}`} title={`${a.name}: ${STATUS_TEXT[a.status]}`}>
              <span class="dot" aria-hidden="true" />
              {a.name}
              <span class="sr-only"> ({STATUS_TEXT[a.status]})</span>
            </li>
          ))}
        </ul>
      )}

      <div class="me">
        <span class={`me__name agent--${myStatus}`}>
          <span class="dot" aria-hidden="true" />
          {me ?? '…'}
        </span>
        <label class="sr-only" for="my-status">
          My status
        </label>
        <select
          id="my-status"
          class="select"
          value={myStatus}
          onChange={(e) => onPresence(e.currentTarget.value === 'away' ? 'away' : 'online')}
        >
          <option value="online">Online</option>
          <option value="away">Away</option>
        </select>
        {children}
        <button type="button" class="button button--quiet" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
