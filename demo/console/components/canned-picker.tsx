import { createContext } from 'preact';
import { useContext, useMemo, useState } from 'preact/hooks';
import { type CannedValues, fillCannedReply } from '../../../src/canned-fields.js';
import type { CannedReply, ConversationSummary } from '../../../src/protocol.js';
import type { ConsoleTools } from '../console-tools.js';
import { useHeldState } from '../hooks.js';

/** The shared canned replies, and the values their fields take in the open conversation. */
export interface CannedSource {
  replies: readonly CannedReply[];
  values: CannedValues;
}

export const CannedContext = createContext<CannedSource>({ replies: [], values: {} });

/** The values of a conversation's fields (see `CANNED.fields`). */
export function cannedValues(c: ConversationSummary | undefined, me: string | null): CannedValues {
  return {
    'visitor.name': c?.visitor.name,
    'visitor.email': c?.visitor.email,
    'agent.name': me ?? undefined,
    site: c?.site,
  };
}

/** The shared replies (live) and what the reply box's `/` list fills them with in the open conversation. */
export function useCannedSource(tools: ConsoleTools, selected: ConversationSummary | undefined, me: string | null) {
  const canned = useHeldState(tools.canned);
  const cannedSource = useMemo(() => ({ replies: canned, values: cannedValues(selected, me) }), [canned, selected, me]);
  return { canned, cannedSource };
}

/** Options shown at most. */
const MAX_OPTIONS = 8;

/** What follows a `/` that starts the reply box (`/ref` → `ref`), or null when the box does not start with one. */
export function slashQuery(text: string): string | null {
  const match = /^\/(\S*)$/.exec(text);
  return match ? match[1]!.toLowerCase() : null;
}

/** Replies whose shortcut starts with the query first, then those containing it in shortcut or text. */
function matching(replies: readonly CannedReply[], query: string): CannedReply[] {
  const starts = replies.filter((r) => r.shortcut.startsWith(query));
  const contains = replies.filter(
    (r) => !starts.includes(r) && (r.shortcut.includes(query) || r.text.toLowerCase().includes(query)),
  );
  return [...starts, ...contains].slice(0, MAX_OPTIONS);
}

/**
 * The `/` list of the reply box: typing `/` at its start opens a listbox of canned replies filtered as the agent
 * types; ↑/↓ move, Enter or Tab inserts the chosen reply (its fields filled), Escape closes. The textarea keeps focus
 * and points at the active option with `aria-activedescendant`.
 */
export function useCannedPicker(id: string, text: string, insert: (text: string) => void) {
  const { replies, values } = useContext(CannedContext);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const query = slashQuery(text);
  const options = query === null ? [] : matching(replies, query);
  const open = query !== null && dismissed !== text;
  const current = Math.min(active, Math.max(0, options.length - 1));
  const listId = `canned-${id}`;
  const optionId = (i: number) => `${listId}-${i}`;
  const choose = (reply: CannedReply) => {
    setActive(0);
    insert(fillCannedReply(reply.text, values));
  };

  const onKeyDown = (e: KeyboardEvent): boolean => {
    if (!open) return false;
    if (e.key === 'Escape') setDismissed(text);
    else if (options.length === 0) return false;
    else if (e.key === 'ArrowDown') setActive((current + 1) % options.length);
    else if (e.key === 'ArrowUp') setActive((current - 1 + options.length) % options.length);
    else if (e.key === 'Enter' || e.key === 'Tab') choose(options[current]!);
    else return false;
    e.preventDefault();
    return true;
  };

  const fieldProps = {
    'aria-autocomplete': 'list' as const,
    'aria-controls': open ? listId : undefined,
    'aria-activedescendant': open && options.length > 0 ? optionId(current) : undefined,
  };

  const list = !open ? null : options.length === 0 ? (
    <p class="canned-picker canned-picker--empty muted" role="status">
      {replies.length === 0
        ? 'No canned replies yet: add them under Canned replies.'
        : `No canned reply matches /${query}`}
    </p>
  ) : (
    <div class="canned-picker" id={listId} role="listbox" aria-label="Canned replies">
      {options.map((reply, i) => (
        // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are handled by the reply box, which keeps focus and points here with aria-activedescendant
        <div
          key={reply.id}
          id={optionId(i)}
          role="option"
          aria-selected={i === current}
          class="canned-picker__option"
          tabIndex={-1}
          // Keeps focus in the reply box.
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => choose(reply)}
        >
          <span class="canned-picker__shortcut">/{reply.shortcut}</span>{' '}
          <span class="canned-picker__text muted">{fillCannedReply(reply.text, values)}</span>
        </div>
      ))}
    </div>
  );
  return { onKeyDown, fieldProps, list };
}
