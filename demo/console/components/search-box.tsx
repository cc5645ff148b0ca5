import { useEffect, useRef, useState } from 'preact/hooks';
import { SEARCH, type SearchHit } from '../../../src/protocol.js';
import type { ConsoleTools } from '../console-tools.js';
import { relativeTime, visitorName } from '../format.js';
import { Highlighted } from './highlighted.js';

/** Quiet time after the last keystroke before the search is sent. */
const DEBOUNCE_MS = 250;

interface Props {
  tools: ConsoleTools;
  now: number;
  /** Opens the hit's conversation, at its message when it has one. */
  onOpen(conversationId: string, seq?: number): void;
}

type Outcome = { query: string; results: SearchHit[] } | { query: string; error: string } | null;

/** Searches as the agent types (debounced); only the answer to the latest query is shown. */
function useSearch(tools: ConsoleTools, query: string): { outcome: Outcome; busy: boolean } {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const latest = useRef('');
  useEffect(() => {
    const q = query.trim();
    latest.current = q;
    if (!q) {
      setOutcome(null);
      setBusy(false);
      return;
    }
    setBusy(true);
    const timer = setTimeout(async () => {
      const ack = await tools.search(q);
      if (latest.current !== q) return;
      setBusy(false);
      setOutcome(ack.ok ? { query: q, results: ack.results } : { query: q, error: ack.message });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [tools, query]);
  return { outcome, busy };
}

/** The search box above the conversation list, and its results (which replace the list while a query is typed). */
export function SearchBox({ tools, now, onOpen }: Props) {
  const [query, setQuery] = useState('');
  const { outcome, busy } = useSearch(tools, query);
  return (
    <div class="search">
      <search class="search__form">
        <label class="sr-only" for="search-input">
          Search conversations
        </label>
        <input
          id="search-input"
          class="search__input"
          type="search"
          placeholder="Search messages, names, emails"
          maxLength={SEARCH.maxQueryLength}
          autocomplete="off"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setQuery('');
          }}
        />
      </search>
      {query.trim() && <SearchResults outcome={outcome} busy={busy} now={now} onOpen={onOpen} />}
    </div>
  );
}

function SearchResults({
  outcome,
  busy,
  now,
  onOpen,
}: {
  outcome: Outcome;
  busy: boolean;
  now: number;
  onOpen: Props['onOpen'];
}) {
  const status = busy
    ? 'Searching…'
    : !outcome
      ? ''
      : 'error' in outcome
        ? `Search failed: ${outcome.error}`
        : `${outcome.results.length === 0 ? 'No' : outcome.results.length} result${outcome.results.length === 1 ? '' : 's'}`;
  return (
    <>
      <p class="search__status muted" role="status">
        {status}
      </p>
      {outcome && 'results' in outcome && outcome.results.length > 0 && (
        <ul class="search__results" aria-label="Search results">
          {outcome.results.map((hit) => (
            <li key={hit.conversation.id}>
              <button type="button" class="search__hit" onClick={() => onOpen(hit.conversation.id, hit.seq)}>
                <span class="search__who">
                  {visitorName(hit.conversation.visitor)}
                  <span class="muted">
                    {' '}
                    ·{' '}
                    {hit.field === 'visitor'
                      ? 'visitor'
                      : `${hit.field === 'note' ? 'note, ' : ''}${relativeTime(hit.at, now)}`}
                  </span>
                </span>
                <span class="search__snippet">
                  <Highlighted text={hit.snippet} matches={hit.matches} />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
