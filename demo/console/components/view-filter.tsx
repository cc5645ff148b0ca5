import type { ListView } from '../../../src/protocol.js';

const VIEWS: { value: ListView; label: string }[] = [
  { value: 'mine', label: 'Mine' },
  { value: 'unassigned', label: 'Unassigned' },
  { value: 'all', label: 'All' },
];

/** Whose conversations the list shows, next to the open/resolved filter. */
export function ViewFilter({ view, onView }: { view: ListView; onView(view: ListView): void }) {
  return (
    <fieldset class="filters views">
      <legend class="sr-only">Whose conversations</legend>
      {VIEWS.map((v) => (
        <label key={v.value} class="filter">
          <input
            class="filter__input"
            type="radio"
            name="conversation-view"
            value={v.value}
            checked={view === v.value}
            onChange={() => onView(v.value)}
          />
          <span class="filter__label">{v.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
