import { safeHttpUrl } from '../../../src/linkify.js';
import type { ConversationSummary } from '../../../src/protocol.js';
import { fullTime, languageName, shortBrowser } from '../format.js';

/** The right column: who the visitor is and where they are. */
export function VisitorDetails({ c }: { c: ConversationSummary }) {
  const v = c.visitor;
  const pageHref = safeHttpUrl(v.page?.url);
  const browser = shortBrowser(v.userAgent);
  const language = languageName(v.locale);
  return (
    <>
      <h2 class="pane__title">Visitor</h2>
      <dl class="facts">
        <dt>Label</dt>
        <dd>{v.label}</dd>
        {v.name && (
          <>
            <dt>Name</dt>
            <dd>{v.name}</dd>
          </>
        )}
        {v.email && (
          <>
            <dt>Email</dt>
            <dd class="facts__wrap">{v.email}</dd>
          </>
        )}
        <dt>Identity</dt>
        <dd>
          {v.verified ? (
            <span class="verified-text">
              <span aria-hidden="true">✓ </span>Verified
            </span>
          ) : (
            <span class="muted">{v.name || v.email ? 'Not verified' : 'Anonymous'}</span>
          )}
        </dd>
        <dt>Status</dt>
        <dd>
          <span class={`presence presence--${v.online ? 'online' : 'offline'}`} aria-hidden="true" />{' '}
          {v.online ? 'Online' : 'Offline'}
        </dd>
        <dt>Current page</dt>
        <dd class="facts__wrap">
          {!v.page ? (
            <span class="muted">Unknown</span>
          ) : pageHref ? (
            <a href={pageHref} rel="noopener noreferrer" target="_blank">
              {v.page.title || v.page.url}
            </a>
          ) : (
            <span>{v.page.title || v.page.url}</span>
          )}
          {v.page?.title && <span class="facts__url muted">{v.page.url}</span>}
        </dd>
        {language && (
          <>
            <dt>Language</dt>
            <dd>{language}</dd>
          </>
        )}
        {browser && (
          <>
            <dt>Browser</dt>
            <dd title={v.userAgent}>{browser}</dd>
          </>
        )}
        <dt>Site</dt>
        <dd>{c.site}</dd>
        <dt>Last activity</dt>
        <dd>{fullTime(c.lastActivityAt)}</dd>
      </dl>
    </>
  );
}
