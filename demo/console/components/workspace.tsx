import type { ComponentProps } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ConversationSummary } from '../../../src/protocol.js';
import { setFavicon } from '../alerts/alerts.js';
import { faviconFor } from '../alerts/decide.js';
import { titleFor } from '../attention.js';
import type { Controller } from '../controller.js';
import { useHeldState, useMedia, useNow } from '../hooks.js';
import { useOpenAtMessage } from '../jump.js';
import { type ConsoleState, emptyThread, totalUnread, visibleConversations } from '../state.js';
import { useController } from '../use-controller.js';
import { AlertSettings } from './alert-settings.js';
import { CannedContext, useCannedSource } from './canned-picker.js';
import { ConversationList } from './conversation-list.js';
import { ConversationView } from './conversation-view.js';
import { DetailsPane } from './details-pane.js';
import { RatingAverages } from './satisfaction.js';
import { SearchBox } from './search-box.js';
import { TopBar } from './top-bar.js';

interface Props {
  token: string;
  /** The token was accepted in an earlier page load. */
  tokenAccepted?: boolean;
  /** Back to the sign-in form, with a reason when the gateway refused the token. */
  onSignOut(reason?: string): void;
}

const NO_TYPISTS: never[] = [];
const NO_QUEUED: never[] = [];

/** Keeps the open conversation in the URL fragment so a reload reopens it (a conversation id, never the token). */
function rememberConversation(id: string | null): void {
  history.replaceState(history.state, '', id ? `#${encodeURIComponent(id)}` : location.pathname + location.search);
}

/** The tab title and the favicon's badge count unread visitor messages; both go back to plain when the workspace closes. */
function useUnreadTitle(conversations: Record<string, ConversationSummary>): void {
  const unread = useMemo(() => totalUnread(conversations), [conversations]);
  useEffect(() => {
    document.title = titleFor(unread);
    setFavicon(faviconFor(unread));
  }, [unread]);
  useEffect(
    () => () => {
      document.title = titleFor(0);
      setFavicon(faviconFor(0));
    },
    [],
  );
}

interface PaneProps {
  s: ConsoleState;
  controller: Controller;
  now: number;
  focusToken: number;
  detailsOpen: boolean;
  onToggleDetails(): void;
  select(id: string | null): void;
  onEscape(): void;
}

/** The middle pane: the open conversation, why it could not open, or a hint to pick one. */
function ConversationPane({ s, controller, now, select, ...view }: PaneProps) {
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
        agents={s.agents}
        now={now}
        draft={controller.draft(selected.id)}
        draftsLoaded={s.draftsLoaded}
        queued={s.queued[selected.id] ?? NO_QUEUED}
        onDiscard={controller.discard}
        focusToken={view.focusToken}
        detailsOpen={view.detailsOpen}
        onToggleDetails={view.onToggleDetails}
        onBack={() => select(null)}
        onRetry={() => void controller.load(selected.id)}
        onDraft={(text) => controller.setDraft(selected.id, text)}
        onTyping={(typing) => controller.typing(selected.id, typing)}
        onSend={(text, attachments) => controller.send(selected.id, text, attachments)}
        onSetStatus={(status) => controller.setConversationStatus(selected.id, status)}
        onAskEmail={() => controller.askEmail(selected.id)}
        onAssign={(agent) => controller.assign(selected.id, agent)}
        onNote={(text, clientId) => controller.note(selected.id, text, clientId)}
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

interface ListPaneProps {
  s: ConsoleState;
  controller: Controller;
  now: number;
  select(id: string | null): void;
  /** Opens a search result at its message. */
  openAt: ReturnType<typeof useOpenAtMessage>;
}

/** The left pane: search, then the conversations the filter and view show. */
function ListPane({ s, controller, now, select, openAt }: ListPaneProps) {
  const list = useMemo(
    () => visibleConversations(s.conversations, s.filter, s.view, s.me),
    [s.conversations, s.filter, s.view, s.me],
  );
  return (
    <nav class="pane pane--list" aria-labelledby="conversations-title">
      <SearchBox tools={controller.tools} now={now} onOpen={openAt} />
      <ConversationList
        conversations={list}
        filter={s.filter}
        view={s.view}
        selectedId={s.selectedId}
        loading={s.listLoading}
        error={s.listError}
        now={now}
        onFilter={controller.setFilter}
        onView={controller.setView}
        onSelect={select}
      />
    </nav>
  );
}

/** The right pane: the visitor's details, with a way back when they cover the conversation (below 1200 px). */
function DetailsAside({
  wide,
  onBack,
  ...details
}: ComponentProps<typeof DetailsPane> & { wide: boolean; onBack(): void }) {
  return (
    <aside class="pane pane--details" id="visitor-details" aria-label="Visitor details">
      {/* Below 1200 px the details cover the conversation (a view of their own on a phone): the way back. */}
      {!wide && (
        <button type="button" class="button button--quiet details-back" onClick={onBack}>
          <span aria-hidden="true">← </span>Back to the conversation
        </button>
      )}
      <DetailsPane {...details} />
    </aside>
  );
}

/** The signed-in console: top bar, conversation list, conversation, visitor details. */
export function Workspace({ token, tokenAccepted, onSignOut }: Props) {
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;
  const { controller, alerts } = useController(token, signOut, tokenAccepted);
  const s = useHeldState(controller.state);
  const now = useNow();
  const wide = useMedia('(min-width: 1200px)');
  const twoColumns = useMedia('(min-width: 800px)');
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [focusToken, setFocusToken] = useState(0);
  useUnreadTitle(s.conversations);

  const selectedId = s.selectedId;
  const selected = selectedId ? s.conversations[selectedId] : undefined;
  const select = (id: string | null) => {
    controller.select(id);
    rememberConversation(id);
    if (id) setFocusToken((n) => n + 1);
  };
  const { canned, cannedSource } = useCannedSource(controller.tools, selected, s.me);
  const openAt = useOpenAtMessage(selectedId, s.threads, select);
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
      >
        {s.me && <AlertSettings key={s.me} alerts={alerts} />}
      </TopBar>
      <RatingAverages averages={s.ratingAverages} />
      <div
        class={`workspace${selectedId ? ' has-selection' : ''}${detailsOpen ? ' details-open' : ''}`}
        aria-busy={s.connection === 'connecting'}
      >
        <ListPane s={s} controller={controller} now={now} select={select} openAt={openAt} />
        <main class="pane pane--main">
          <CannedContext.Provider value={cannedSource}>
            <ConversationPane
              s={s}
              controller={controller}
              now={now}
              focusToken={focusToken}
              detailsOpen={wide || detailsOpen}
              onToggleDetails={() => setDetailsOpen((o) => !o)}
              select={select}
              onEscape={focusSelectedRow}
            />
          </CannedContext.Provider>
        </main>
        {selected && (
          <DetailsAside
            c={selected}
            tools={controller.tools}
            canned={canned}
            now={now}
            onOpen={select}
            wide={wide}
            onBack={() => setDetailsOpen(false)}
          />
        )}
      </div>
    </div>
  );
}
