/** Every user-visible string of the panel, in one place per locale (the launcher's are in loader/strings.ts). */
export interface Strings {
  closeChat: string;
  defaultTitle: string;
  defaultGreeting: string;
  presenceOnline: string;
  presenceAway: string;
  presenceOffline: string;
  messageLabel: string;
  placeholder: string;
  send: string;
  you: string;
  team: string;
  typing: (name: string) => string;
  connecting: string;
  offline: string;
  backOnline: string;
  queued: string;
  sending: string;
  sent: string;
  failed: string;
  retry: string;
  tooLong: (max: number) => string;
  newMessages: string;
  messagesLabel: string;
  resolved: string;
  sessionRenewed: string;
  notDurable: string;
  unavailable: (code: string) => string;
}

export const en: Strings = {
  closeChat: 'Close chat',
  defaultTitle: 'Support',
  defaultGreeting: 'Hi! How can we help?',
  presenceOnline: 'Online',
  presenceAway: 'Usually replies in a few minutes',
  presenceOffline: "Away. Leave a message and we'll reply soon",
  messageLabel: 'Message',
  placeholder: 'Write a message…',
  send: 'Send',
  you: 'You',
  team: 'Team',
  typing: (name) => `${name} is typing…`,
  connecting: 'Connecting…',
  offline: "You're offline. Messages will be sent when you're back.",
  backOnline: 'Back online',
  queued: 'Queued',
  sending: 'Sending…',
  sent: 'Sent',
  failed: 'Not sent',
  retry: 'Retry',
  tooLong: (max) => `Messages can be at most ${max} characters.`,
  newMessages: 'New messages',
  messagesLabel: 'Conversation',
  resolved: 'This conversation was marked as resolved. Write again any time.',
  sessionRenewed: 'Your previous chat session expired, so a new one was started.',
  notDurable: "This browser can't store messages, so unsent ones won't survive a reload.",
  unavailable: (code) => `Chat is unavailable on this page (${code}).`,
};

/** Strings for a BCP 47 locale; English until more locales land. */
export function stringsFor(_locale: string): Strings {
  return en;
}
