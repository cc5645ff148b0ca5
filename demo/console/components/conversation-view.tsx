import { useState } from 'preact/hooks';
import type { AgentPresence, ConversationSummary, Rating } from '../../../src/protocol.js';
import type { ActionResult } from '../controller.js';
import { visitorName } from '../format.js';
import type { QueuedReply } from '../reply-store.js';
import type { Thread, Typist } from '../state.js';
import { AssignControl } from './assign-control.js';
import { Composer } from './composer.js';
import { MessageLog } from './message-log.js';
import { ConversationRating } from './satisfaction.js';

interface Props {
  c: ConversationSummary;
  /** The visitor's rating, once given (resolved conversations). */
  rating?: Rating | undefined;
  thread: Thread;
  typists: Typist[];
  me: string | null;
  agents: AgentPresence[];
  now: number;
  draft: string;
  draftsLoaded: boolean;
  queued: QueuedReply[];
  onDiscard(clientId: string): void;
  focusToken: number;
  detailsOpen: boolean;
  onToggleDetails(): void;
  onBack(): void;
  onRetry(): void;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  onSend(text: string, attachments?: string[]): Promise<{ ok: true } | { ok: false; message: string }>;
  onSetStatus(status: 'open' | 'resolved'): Promise<ActionResult>;
  /** Asks the visitor for an email address in the widget. */
  onAskEmail?(): void;
  onAssign(agent: string | null): Promise<ActionResult>;
  onNote(text: string, clientId: string): Promise<ActionResult>;
  onEscape(): void;
}

function typingText(typists: Typist[]): string {
  return typists.map((t) => (t.author === 'visitor' ? 'Visitor is typing…' : `${t.who} is typing…`)).join(' ');
}

/** The heading: who the visitor is (and whether verified), whether they are online, and the conversation's status. */
function VisitorHeading({ c, name }: { c: ConversationSummary; name: string }) {
  return (
    <div class="conversation__who">
      <h2 class="conversation__title" id="conversation-title">
        {name}
        {c.visitor.verified && (
          <span class="verified" title="Identity verified">
            <span aria-hidden="true"> ✓</span>
            <span class="sr-only"> (verified)</span>
          </span>
        )}
      </h2>
      <p class="conversation__sub muted">
        <span class={`presence presence--${c.visitor.online ? 'online' : 'offline'}`} aria-hidden="true" />{' '}
        {c.visitor.online ? 'Online' : 'Offline'} · {c.status === 'open' ? 'Open' : 'Resolved'}
      </p>
    </div>
  );
}

/** Resolve or reopen: one change at a time, and the reason shown when the gateway refuses it. */
function useStatusToggle(c: ConversationSummary, onSetStatus: Props['onSetStatus']) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    const r = await onSetStatus(c.status === 'open' ? 'resolved' : 'open');
    setBusy(false);
    if (!r.ok) setError(`${r.code}: ${r.message}`);
  };
  return { busy, error, toggle };
}

/** The centre column: the conversation's header, messages, typing line and reply box. */
export function ConversationView(p: Props) {
  const { c } = p;
  const name = visitorName(c.visitor);
  const { busy, error: statusError, toggle: toggleStatus } = useStatusToggle(c, p.onSetStatus);

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <div class="conversation__head">
        <button type="button" class="button button--quiet back" onClick={p.onBack}>
          <span aria-hidden="true">← </span>Conversations
        </button>
        <VisitorHeading c={c} name={name} />
        <AssignControl c={c} agents={p.agents} me={p.me} onAssign={p.onAssign} />
        <button
          type="button"
          class="button button--quiet details-toggle"
          aria-expanded={p.detailsOpen}
          aria-controls="visitor-details"
          onClick={p.onToggleDetails}
        >
          Details
        </button>
        {p.onAskEmail && !c.visitor.email && (
          <button type="button" class="button button--quiet" onClick={p.onAskEmail}>
            Ask for email
          </button>
        )}
        <button type="button" class="button" disabled={busy} onClick={() => void toggleStatus()}>
          {c.status === 'open' ? 'Resolve' : 'Reopen'}
        </button>
      </div>
      <ConversationRating rating={p.rating} />
      {statusError && (
        <p class="alert" role="alert">
          Could not change the status ({statusError}).
        </p>
      )}
      <MessageLog
        key={c.id}
        thread={p.thread}
        queued={p.queued}
        visitorReadSeq={c.visitorReadSeq ?? 0}
        visitorName={name}
        me={p.me}
        now={p.now}
        onRetry={p.onRetry}
        onDiscard={p.onDiscard}
      />
      <p class="typing" role="status">
        {typingText(p.typists)}
      </p>
      <Composer
        key={c.id}
        conversationId={c.id}
        placeholder={`Reply to ${name}…`}
        initialDraft={p.draft}
        draftsLoaded={p.draftsLoaded}
        focusToken={p.focusToken}
        onDraft={p.onDraft}
        onTyping={p.onTyping}
        onSend={p.onSend}
        onNote={p.onNote}
        onEscape={p.onEscape}
      />
    </section>
  );
}
