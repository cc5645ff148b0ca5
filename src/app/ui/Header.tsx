import { CLOSE_ICON } from '../../icons';
import type { Strings } from '../../locales/types';
import type { AgentStatus } from '../../protocol';

export function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={d} />
    </svg>
  );
}

export function Header(props: {
  title: string;
  subtitle: string;
  /** Null while unknown (not connected): no presence is better than a stale one. */
  presence: AgentStatus | null;
  strings: Strings;
  onClose: () => void;
}) {
  const { strings: s, presence } = props;
  return (
    <header part="header">
      <div>
        <h2 id="parley-title">{props.title}</h2>
        {props.subtitle && <p>{props.subtitle}</p>}
        {presence && (
          <p>
            <span class={`dot ${presence}`} aria-hidden="true" />
            {presence === 'online' ? s.presenceOnline : presence === 'away' ? s.presenceAway : s.presenceOffline}
          </p>
        )}
      </div>
      <button type="button" aria-label={s.closeChat} onClick={props.onClose}>
        <Icon d={CLOSE_ICON} />
      </button>
    </header>
  );
}
