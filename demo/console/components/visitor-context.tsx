import { useEffect, useState } from 'preact/hooks';
import { safeHttpUrl } from '../../../src/linkify.js';
import type { VisitorContext as Context, ConversationSummary } from '../../../src/protocol.js';
import type { ConsoleTools } from '../console-tools.js';
import { fullTime, lastMessageText, relativeTime, visitorName } from '../format.js';

interface Props {
  c: ConversationSummary;
  tools: ConsoleTools;
  now: number;
  onOpen(conversationId: string): void;
}

/** Fetches the context of `c`, again when the visitor reports another page (the summary's page changes). */
function useVisitorContext(tools: ConsoleTools, c: ConversationSummary) {
  const [context, setContext] = useState<Context | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pageUrl = c.visitor.page?.url;
  useEffect(() => {
    let live = true;
    void tools.context(c.id).then((ack) => {
      if (!live) return;
      if (ack.ok) {
        setContext({ earlier: ack.earlier, pages: ack.pages });
        setError(null);
      } else setError(ack.message);
    });
    return () => {
      live = false;
    };
  }, [tools, c.id, pageUrl]);
  return { context, error };
}

/** The details pane's history: the visitor's earlier conversations and the pages visited in this one. */
export function VisitorContextPanel({ c, tools, now, onOpen }: Props) {
  const { context, error } = useVisitorContext(tools, c);
  if (error) return <p class="muted">Could not load the visitor’s history ({error}).</p>;
  if (!context) return <p class="muted">Loading the visitor’s history…</p>;
  return (
    <>
      <h3 class="pane__subtitle" id="earlier-title">
        Earlier conversations
      </h3>
      {context.earlier.length === 0 ? (
        <p class="muted">None</p>
      ) : (
        <ul class="context-list" aria-labelledby="earlier-title">
          {context.earlier.map((e) => (
            <li key={e.id}>
              <button type="button" class="button button--quiet context-list__open" onClick={() => onOpen(e.id)}>
                {(e.lastMessage && lastMessageText(e.lastMessage).slice(0, 80)) || visitorName(e.visitor)}
              </button>
              <span class="muted">
                {' '}
                {e.site} · {e.status === 'open' ? 'Open' : 'Resolved'} · {relativeTime(e.lastActivityAt, now)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3 class="pane__subtitle" id="pages-title">
        Pages visited
      </h3>
      {context.pages.length === 0 ? (
        <p class="muted">None reported</p>
      ) : (
        <ol class="context-list" aria-labelledby="pages-title">
          {context.pages.map((page) => {
            const href = safeHttpUrl(page.url);
            const label = page.title || page.url;
            return (
              <li key={`${page.at}-${page.url}`} title={`${page.url} · ${fullTime(page.at)}`}>
                {href ? (
                  <a href={href} rel="noopener noreferrer" target="_blank">
                    {label}
                  </a>
                ) : (
                  label
                )}
                <span class="muted"> · {relativeTime(page.at, now)}</span>
              </li>
            );
          })}
        </ol>
      )}
    </>
  );
}
