import type { ConversationSummary, ListView } from '../../../src/protocol.js';
import { preview, relativeTime, visitorName } from '../format.js';
import type { Filter } from '../state.js';
import { ViewFilter } from './view-filter.js';

interface Props {
  conversations: ConversationSummary[];
  filter: Filter;
  view: ListView;
  selectedId: string | null;
  loading: boolean;
  error: string | null;
  now: number;
  onFilter(filter: Filter): void;
  onView(view: ListView): void;
  onSelect(id: string): void;
}

const FILTERS: { value: Filter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'all', label: 'All' },
];

const EMPTY: Record<Filter, string> = {
  open: 'No open conversations. New chats appear here.',
  resolved: 'No resolved conversations.',
  all: 'No conversations yet.',
};

/** Arrow keys move between rows, Home/End jump to the ends. */
function onListKeyDown(e: KeyboardEvent) {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(e.key)) return;
  const list = e.currentTarget as HTMLElement;
  const rows = [...list.querySelectorAll<HTMLButtonElement>('.conv__button')];
  const at = rows.indexOf(document.activeElement as HTMLButtonElement);
  if (at < 0 || rows.length === 0) return;
  const next = e.key === 'Home' ? 0 : e.key === 'End' ? rows.length - 1 : at + (e.key === 'ArrowDown' ? 1 : -1);
  const row = rows[Math.max(0, Math.min(rows.length - 1, next))];
  if (!row) return;
  e.preventDefault();
  row.focus();
}

/** The left column: filter and the conversations, most recent activity first. */
export function ConversationList({
  conversations,
  filter,
  view,
  selectedId,
  loading,
  error,
  now,
  onFilter,
  onView,
  onSelect,
}: Props) {
  return (
    <>
      <div class="pane__head">
        <h2 class="pane__title" id="conversations-title">
          Conversations
        </h2>
        <fieldset class="filters">
          <legend class="sr-only">Show conversations</legend>
          {FILTERS.map((f) => (
            <label key={f.value} class="filter">
              <input
                class="filter__input"
                type="radio"
                name="conversation-filter"
                value={f.value}
                checked={filter === f.value}
                onChange={() => onFilter(f.value)}
              />
              <span class="filter__label">{f.label}</span>
            </label>
          ))}
        </fieldset>
        <ViewFilter view={view} onView={onView} />
      </div>
      {error && (
        <p class="alert" role="alert">
          Could not load conversations ({error}).
        </p>
      )}
      <ul class="conv-list" aria-label="Conversations" aria-busy={loading} onKeyDown={onListKeyDown}>
        {conversations.map((c) => (
          <ConversationRow key={c.id} c={c} selected={c.id === selectedId} now={now} onSelect={onSelect} />
        ))}
      </ul>
      {conversations.length === 0 && <p class="empty">{loading ? 'Loading…' : EMPTY[filter]}</p>}
    </>
  );
}

/** Spoken after the visible name: the label of an identified visitor, presence, unread count. */
function rowExtra(c: ConversationSummary): string {
  const v = c.visitor;
  const parts: string[] = [];
  if (v.verified) parts.push('verified');
  if (visitorName(v) !== v.label) parts.push(v.label);
  parts.push(v.online ? 'online' : 'offline');
  if (c.unread > 0) parts.push(`${c.unread} unread`);
  parts.push(c.assignee ? `assigned to ${c.assignee}` : 'unassigned');
  return `, ${parts.join(', ')}`;
}

/**
 * One row. The button holds only who it is (its accessible name); the preview, time and badges sit beside it and
 * describe it, so message text (which could say "resolve" or "send") never becomes part of a button's name. The
 * button's ::after covers the whole row, so all of it is clickable.
 */
function ConversationRow({
  c,
  selected,
  now,
  onSelect,
}: {
  c: ConversationSummary;
  selected: boolean;
  now: number;
  onSelect(id: string): void;
}) {
  const v = c.visitor;
  const rowClass = [
    'conv',
    c.unread > 0 && 'conv--unread',
    c.status === 'resolved' && 'conv--resolved',
    selected && 'conv--selected',
  ];
  return (
    <li class={rowClass.filter(Boolean).join(' ')} data-conversation-id={c.id}>
      <span class="conv__top">
        <span class={`presence presence--${v.online ? 'online' : 'offline'}`} aria-hidden="true" />
        <button
          type="button"
          class="conv__button"
          aria-current={selected ? 'true' : undefined}
          aria-describedby={`conv-preview-${c.id} conv-time-${c.id}${c.status === 'resolved' ? ` conv-status-${c.id}` : ''}`}
          onClick={() => onSelect(c.id)}
        >
          <span class="conv__name">{visitorName(v)}</span>
          {v.verified && (
            <span class="verified" title="Identity verified" aria-hidden="true">
              {' '}
              ✓
            </span>
          )}
          <span class="sr-only">{rowExtra(c)}</span>
        </button>
        <time class="conv__time" id={`conv-time-${c.id}`} dateTime={new Date(c.lastActivityAt).toISOString()}>
          {relativeTime(c.lastActivityAt, now)}
        </time>
      </span>
      <span class="conv__bottom">
        <span class="conv__preview" id={`conv-preview-${c.id}`}>
          {preview(c)}
        </span>
        {c.assignee && (
          <span class="tag tag--owner" aria-hidden="true">
            {c.assignee}
          </span>
        )}
        {c.status === 'resolved' && (
          <span class="tag" id={`conv-status-${c.id}`}>
            Resolved
          </span>
        )}
        {c.unread > 0 && (
          <span class="badge" aria-hidden="true">
            {c.unread}
          </span>
        )}
      </span>
    </li>
  );
}
