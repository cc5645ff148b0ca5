import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ConversationSummary } from '../../../src/protocol.js';
import { titleFor } from '../attention.js';
import type { Controller } from '../controller.js';
import { useHeldState, useMedia, useNow } from '../hooks.js';
import { type ConsoleState, emptyThread, totalUnread, visibleConversations } from '../state.js';
import { useController } from '../use-controller.js';
import { ConversationList } from './conversation-list.js';
import { ConversationView } from './conversation-view.js';
import { RatingAverages } from './satisfaction.js';
import { TopBar } from './top-bar.js';
import { VisitorDetails } from './visitor-details.js';

interface Props {
  token: string;
  /** Back to the sign-in form, with a reason when the gateway refused the token. */
  onSignOut(reason?: string): void;
}

const NO_TYPISTS: never[] = [];

/** Keeps the open conversation in the URL fragment so a reload reopens it (a conversation id, never the token). */
function rememberConversation(id: string | null): void {
  history.replaceState(history.state, '', id ? `#${encodeURIComponent(id)}` : location.pathname + location.search);
}

/** The tab title counts unread visitor messages; it goes back to plain when the workspace closes. */
function useUnreadTitle(conversations: Record<string, ConversationSummary>): void {
  const unread = useMemo(() => totalUnread(conversations), [conversations]);
  useEffect(() => {
    document.title = titleFor(unread);
  }, [unread]);
  useEffect(
    () => () => {
      document.title = titleFor(0);
    },
    [],
  );
}

interface PaneProps {
  s: ConsoleState;
  controller: Controller;
  now: number;
  drafts: Map<string, string>;
  focusToken: number;
  detailsOpen: boolean;
  onToggleDetails(): void;
  select(id: string | null): void;
  onEscape(): void;
}

/** The middle pane: the open conversation, why it could not open, or a hint to pick one. */
function ConversationPane({ s, controller, now, drafts, select, ...view }: PaneProps) {
  const selectedId = s.selectedId;
  const selected = selectedId ? s.conversations[selectedId] : undefined;
  const thread = (selectedId && s.threads[selectedId]) || emptyThread();
  if (selected) {
    return (
      <ConversationView
        c={selected}
        rating={s.ratings[selected.id]}
        thread={thread}
        typists={s.typing[selected.id] ?? NO_TYPISTS}
        me={s.me}
        now={now}
        draft={drafts.get(selected.id) ?? ''}
        focusToken={view.focusToken}
        detailsOpen={view.detailsOpen}
        onToggleDetails={view.onToggleDetails}
        onBack={() => select(null)}
        onRetry={() => void controller.load(selected.id)}
        onDraft={(text) => drafts.set(selected.id, text)}
        onTyping={(typing) => controller.typing(selected.id, typing)}
        onSend={(text, clientId) => controller.send(selected.id, text, clientId)}
        onSetStatus={(status) => controller.setConversationStatus(selected.id, status)}
        onAskEmail={() => controller.askEmail(selected.id)}
        onEscape={view.onEscape}
      />
    );
  }
  if (selectedId && thread.error) {
    return (
      <div class="placeholder">
        <p class="alert" role="alert">
          Could not open this conversation ({thread.error}).
        </p>
        <button type="button" class="button" onClick={() => select(null)}>
          Back to conversations
        </button>
      </div>
    );
  }
  return (
    <div class="placeholder">
      <p class="muted">{selectedId ? 'Loading conversation…' : 'Select a conversation to read and reply.'}</p>
    </div>
  );
}

/** The signed-in console: top bar, conversation list, conversation, visitor details. */
export function Workspace({ token, onSignOut }: Props) {
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;
  const controller = useController(token, signOut);
  const s = useHeldState(controller.state);
  const now = useNow();
  const wide = useMedia('(min-width: 1200px)');
  const twoColumns = useMedia('(min-width: 800px)');
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [focusToken, setFocusToken] = useState(0);
  const drafts = useRef(new Map<string, string>());
  const list = useMemo(() => visibleConversations(s.conversations, s.filter), [s.conversations, s.filter]);
  useUnreadTitle(s.conversations);

  const selectedId = s.selectedId;
  const selected = selectedId ? s.conversations[selectedId] : undefined;
  const select = (id: string | null) => {
    controller.select(id);
    rememberConversation(id);
    if (id) setFocusToken((n) => n + 1);
  };
  const focusSelectedRow = () => {
    if (!twoColumns) return select(null);
    document.querySelector<HTMLElement>('.conv__button[aria-current="true"]')?.focus();
  };

  return (
    <div class="shell">
      <TopBar
        me={s.me}
        myStatus={s.myStatus}
        agents={s.agents}
        connection={s.connection}
        connectionError={s.connectionError}
        onPresence={controller.setPresence}
        onSignOut={() => signOut.current()}
      />
      <RatingAverages averages={s.ratingAverages} />
      <div
        class={`workspace${selectedId ? ' has-selection' : ''}${detailsOpen ? ' details-open' : ''}`}
        aria-busy={s.connection === 'connecting'}
      >
        <nav class="pane pane--list" aria-labelledby="conversations-title">
          <ConversationList
            conversations={list}
            filter={s.filter}
            selectedId={selectedId}
            loading={s.listLoading}
            error={s.listError}
            now={now}
            onFilter={controller.setFilter}
            onSelect={select}
          />
        </nav>
        <main class="pane pane--main">
          <ConversationPane
            s={s}
            controller={controller}
            now={now}
            drafts={drafts.current}
            focusToken={focusToken}
            detailsOpen={wide || detailsOpen}
            onToggleDetails={() => setDetailsOpen((o) => !o)}
            select={select}
            onEscape={focusSelectedRow}
          />
        </main>
        {selected && (
          <aside class="pane pane--details" id="visitor-details" aria-label="Visitor details">
            <VisitorDetails c={selected} />
          </aside>
        )}
      </div>
    </div>
  );
}
