import type { Message } from '../../../src/protocol';

/** The two bodies and subject of an email; the HTML is built from escaped text only. */
export interface Composed {
  subject: string;
  text: string;
  html: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Only web links go back to the page (a visitor's page URL is validated on the way in, this is the last check). */
function safeLink(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

function who(message: Message, site: string): string {
  if (message.author === 'visitor') return 'You';
  return message.agentName ?? site;
}

function bodies(intro: string, messages: Message[], site: string, pageUrl: string | undefined, outro: string) {
  const link = safeLink(pageUrl);
  const lines = messages.map((m) => `${who(m, site)}:\n${m.text}`);
  const text = [intro, '', lines.join('\n\n'), '', ...(link ? [`Continue the conversation: ${link}`, ''] : []), outro]
    .join('\n')
    .trim();
  const items = messages
    .map(
      (m) => `<p><strong>${escapeHtml(who(m, site))}</strong><br>${escapeHtml(m.text).replace(/\r?\n/g, '<br>')}</p>`,
    )
    .join('\n');
  const html = [
    '<!doctype html><html><body>',
    `<p>${escapeHtml(intro)}</p>`,
    items,
    link ? `<p><a href="${escapeHtml(link)}">Continue the conversation</a></p>` : '',
    `<p style="color:#666">${escapeHtml(outro)}</p>`,
    '</body></html>',
  ].join('\n');
  return { text, html };
}

/** The follow-up of agent replies the visitor has not seen. */
export function followUpEmail(input: {
  site: string;
  messages: Message[];
  pageUrl?: string;
  canReply: boolean;
}): Composed {
  const { site, messages } = input;
  const names = [...new Set(messages.map((m) => who(m, site)))].join(', ');
  const count = messages.length === 1 ? 'a reply' : `${messages.length} replies`;
  const outro = input.canReply
    ? 'Reply to this email to answer; your reply goes to the same conversation.'
    : 'You received this because you left your address in the chat.';
  return {
    subject: `${names} sent you ${count} (${site})`,
    ...bodies(`You have ${count} in your conversation with ${site}:`, messages, site, input.pageUrl, outro),
  };
}

/** A transcript of the whole conversation, asked for by the visitor. */
export function transcriptEmail(input: {
  site: string;
  messages: Message[];
  pageUrl?: string;
  more: boolean;
}): Composed {
  const outro = input.more
    ? 'This transcript holds the first part of the conversation; the rest is in the chat.'
    : 'You received this because you asked for a transcript in the chat.';
  return {
    subject: `Transcript of your conversation with ${input.site}`,
    ...bodies(`Your conversation with ${input.site}:`, input.messages, input.site, input.pageUrl, outro),
  };
}
