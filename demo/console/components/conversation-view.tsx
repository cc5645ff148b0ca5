import { useState } from 'preact/hooks';
import type { ConversationSummary, Rating } from '../../../src/protocol.js';
import type { ActionResult } from '../controller.js';
import { visitorName } from '../format.js';
import type { Thread, Typist } from '../state.js';
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
  now: number;
  draft: string;
  focusToken: number;
  detailsOpen: boolean;
  onToggleDetails(): void;
  onBack(): void;
  onRetry(): void;
  onDraft(text: string): void;
  onTyping(typing: boolean): void;
  onSend(text: string, clientId: string): Promise<ActionResult>;
  onSetStatus(status: 'open' | 'resolved'): Promise<ActionResult>;
  /** Asks the visitor for an email address in the widget. */
  onAskEmail?(): void;
  onEscape(): void;
}

function typingText(typists: Typist[]): string {
  return typists.map((t) => (t.author === 'visitor' ? 'Visitor is typing…' : `${t.who} is typing…`)).join(' ');
}

/** The centre column: the conversation's header, messages, typing line and reply box. */
export function ConversationView(p: Props) {
  const { c } = p;
  const name = visitorName(c.visitor);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = c.status === 'open' ? 'resolved' : 'open';

  const toggleStatus = async () => {
    setBusy(true);
    setStatusError(null);
    const r = await p.onSetStatus(next);
    setBusy(false);
    if (!r.ok) setStatusError(`${r.code}: ${r.message}`);
  };

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <div class="conversation__head">
        <button type="button" class="button button--quiet back" onClick={p.onBack}>
          <span aria-hidden="true">← </span>Conversations
        </button>
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
      <MessageLog key={c.id} thread={p.thread} visitorName={name} me={p.me} now={p.now} onRetry={p.onRetry} />
      <p class="typing" role="status">
        {typingText(p.typists)}
      </p>
      <Composer
        key={c.id}
        conversationId={c.id}
        placeholder={`Reply to ${name}…`}
        initialDraft={p.draft}
        focusToken={p.focusToken}
        onDraft={p.onDraft}
        onTyping={p.onTyping}
        onSend={p.onSend}
        onEscape={p.onEscape}
      />
    </section>
  );
}
