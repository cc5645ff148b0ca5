import { CLOSE_ICON } from '../../icons';
import type { Strings } from '../../locales/types';
import type { AgentStatus } from '../../protocol';
import { Avatar } from './avatar';

export function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={d} />
    </svg>
  );
}

export function PanelHeader(props: {
  title: string;
  subtitle: string;
  /** Null while unknown (not connected): no presence is better than a stale one. */
  presence: AgentStatus | null;
  /** An online agent, named with their face: "Ana usually replies in a few minutes". */
  agent?: string | undefined;
  avatar?: string | undefined;
  /** When nobody is online: when to expect a reply (see `availabilityLine`), in place of the presence line. */
  availability?: string | undefined;
  strings: Strings;
  onClose: () => void;
}) {
  const { strings: s, presence } = props;
  const agent = presence === 'online' && props.agent;
  return (
    <header part="header">
      {agent && <Avatar name={agent} url={props.avatar} />}
      <div>
        <h2 id="parley-title">{props.title}</h2>
        {props.subtitle && <p>{props.subtitle}</p>}
        {presence && (
          <p>
            <span class={`dot ${presence}`} aria-hidden="true" />
            {agent
              ? s.replies(agent)
              : (props.availability ??
                (presence === 'online' ? s.presenceOnline : presence === 'away' ? s.presenceAway : s.presenceOffline))}
          </p>
        )}
      </div>
      <button type="button" aria-label={s.closeChat} onClick={props.onClose}>
        <Icon d={CLOSE_ICON} />
      </button>
    </header>
  );
}
