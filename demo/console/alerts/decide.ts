/** What the console may do to get an agent's attention, chosen by the agent and kept per agent in the browser. */
export interface AlertPrefs {
  /** Desktop notifications (only shown once the browser granted the permission). */
  desktop: boolean;
  sound: boolean;
}

export const DEFAULT_PREFS: AlertPrefs = { desktop: true, sound: true };

export interface AlertEvent {
  /** `new`: the visitor's first message, which creates the conversation; `message`: any later visitor message. */
  kind: 'new' | 'message';
  /** The conversation's assignee (`ConversationSummary.assignee`); absent: nobody. */
  assignee?: string;
}

export interface AlertContext {
  me: string | null;
  away: boolean;
  prefs: AlertPrefs;
  permission: NotificationPermission | 'unsupported';
  /** A console tab is visible with this conversation open: the agent is already reading it. */
  reading: boolean;
  /** Some console tab of this browser is visible: the list and the title already show the news. */
  anyTabVisible: boolean;
}

export interface AlertDecision {
  desktop: boolean;
  sound: boolean;
}

const NONE: AlertDecision = { desktop: false, sound: false };

/**
 * Whether a visitor's message deserves a desktop notification and a sound: a new conversation, or a message in a
 * conversation assigned to this agent or to nobody; never while the agent is away or already reading it. A desktop
 * notification only when no console tab is in view (a visible console shows the message itself).
 */
export function decideAlert(event: AlertEvent, ctx: AlertContext): AlertDecision {
  if (ctx.away || ctx.reading || !ctx.me) return NONE;
  const relevant = event.kind === 'new' || event.assignee === undefined || event.assignee === ctx.me;
  if (!relevant) return NONE;
  return {
    desktop: ctx.prefs.desktop && ctx.permission === 'granted' && !ctx.anyTabVisible,
    sound: ctx.prefs.sound,
  };
}

/** The favicon: the console's mark, with the unread count in a red badge when there is any (an SVG data URL). */
export function faviconFor(unread: number): string {
  const mark =
    '<rect x="4" y="6" width="40" height="30" rx="8" fill="#4f46e5"/><path d="M14 36v8l10-8z" fill="#4f46e5"/>';
  const label = unread > 99 ? '99+' : String(unread);
  const badge =
    unread > 0
      ? `<circle cx="46" cy="18" r="16" fill="#dc2626"/><text x="46" y="24" font-size="${label.length > 2 ? 12 : 18}" font-family="Arial,sans-serif" font-weight="700" fill="#fff" text-anchor="middle">${label}</text>`
      : '';
  return `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${mark}${badge}</svg>`)}`;
}
