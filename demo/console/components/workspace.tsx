import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { beep, titleFor, unlockAudioOnGesture } from '../attention.js';
import { createController } from '../controller.js';
import { useHeldState, useMedia, useNow } from '../hooks.js';
import { emptyThread, totalUnread, visibleConversations } from '../state.js';
import { ConversationList } from './conversation-list.js';
import { ConversationView } from './conversation-view.js';
import { TopBar } from './top-bar.js';
import { VisitorDetails } from './visitor-details.js';

interface Props {
  token: string;
  /** Back to the sign-in form, with a reason when the gateway refused the token. */
  onSignOut(reason?: string): void;
}

const NO_TYPISTS: never[] = [];

function conversationFromHash(): string | null {
  const id = decodeURIComponent(location.hash.slice(1));
  return id || null;
}

/** Keeps the open conversation in the URL fragment so a reload reopens it (a conversation id, never the token). */
function rememberConversation(id: string | null): void {
  history.replaceState(history.state, '', id ? `#${encodeURIComponent(id)}` : location.pathname + location.search);
}

/** The signed-in console: header, conversation list, conversation, visitor details. */
export function Workspace({ token, onSignOut }: Props) {
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;
  const [controller] = useState(() =>
    createController(token, {
      onUnauthorized: (message) => signOut.current(message),
      onVisitorMessage: () => {
        if (document.hidden) beep();
      },
    }),
  );
  const s = useHeldState(controller.state);
  const now = useNow();
  const wide = useMedia('(min-width: 1200px)');
  const twoColumns = useMedia('(min-width: 800px)');
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [focusToken, setFocusToken] = useState(0);
  const drafts = useRef(new Map<string, string>());

  useEffect(() => {
    const offAudio = unlockAudioOnGesture();
    controller.start();
    const fromHash = conversationFromHash();
    if (fromHash) controller.select(fromHash);
    return () => {
      offAudio();
      controller.destroy();
    };
  }, [controller]);

  const list = useMemo(() => visibleConversations(s.conversations, s.filter), [s.conversations, s.filter]);
  const unread = useMemo(() => totalUnread(s.conversations), [s.conversations]);
  useEffect(() => {
    document.title = titleFor(unread);
  }, [unread]);
  useEffect(
    () => () => {
      document.title = titleFor(0);
    },
    [],
  );

  const selectedId = s.selectedId;
  const selected = selectedId ? s.conversations[selectedId] : undefined;
  const thread = (selectedId && s.threads[selectedId]) || emptyThread();

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
          {selected ? (
            <ConversationView
              c={selected}
              thread={thread}
              typists={s.typing[selected.id] ?? NO_TYPISTS}
              me={s.me}
              now={now}
              draft={drafts.current.get(selected.id) ?? ''}
              focusToken={focusToken}
              detailsOpen={wide || detailsOpen}
              onToggleDetails={() => setDetailsOpen((o) => !o)}
              onBack={() => select(null)}
              onRetry={() => void controller.load(selected.id)}
              onDraft={(text) => drafts.current.set(selected.id, text)}
              onTyping={(typing) => controller.typing(selected.id, typing)}
              onSend={(text, clientId) => controller.send(selected.id, text, clientId)}
              onSetStatus={(status) => controller.setConversationStatus(selected.id, status)}
              onEscape={focusSelectedRow}
            />
          ) : selectedId && thread.error ? (
            <div class="placeholder">
              <p class="alert" role="alert">
                Could not open this conversation ({thread.error}).
              </p>
              <button type="button" class="button" onClick={() => select(null)}>
                Back to conversations
              </button>
            </div>
          ) : (
            <div class="placeholder">
              <p class="muted">{selectedId ? 'Loading conversation…' : 'Select a conversation to read and reply.'}</p>
            </div>
          )}
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
