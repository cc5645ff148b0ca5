/** The launcher's strings: what the loader needs before anything else loads. */
export interface LauncherStrings {
  openChat: string;
  closeChat: string;
  /** Word or phrase after the unread count: "Open chat (2 unread)". */
  unread: string;
}

/** Every string of the panel. */
export interface Strings {
  closeChat: string;
  defaultTitle: string;
  defaultGreeting: string;
  presenceOnline: string;
  presenceAway: string;
  /** Header line naming an online agent: "Ana usually replies in a few minutes". */
  replies: (name: string) => string;
  presenceOffline: string;
  /** Closed until the next opening: `day` is "today", "tomorrow" or a weekday, `time` like "9:00". */
  backAt: (day: string, time: string) => string;
  messageLabel: string;
  placeholder: string;
  send: string;
  /** The button that opens the file chooser (issue 16); the rest of the attachment UI is a lazy chunk. */
  attach: string;
  you: string;
  team: string;
  /** `names` is a list already joined for the language ("Ana and Ben"); `many` when it has more than one name. */
  typing: (names: string, many: boolean) => string;
  connecting: string;
  offline: string;
  backOnline: string;
  queued: string;
  sending: string;
  sent: string;
  /** Under the visitor's last message an agent has read. */
  seen: string;
  failed: string;
  retry: string;
  tooLong: (max: number) => string;
  newMessages: string;
  messagesLabel: string;
  resolved: string;
  sessionRenewed: string;
  notDurable: string;
  unavailable: string;
  identityRefused: string;
  /** The outbox holds its maximum of unsent messages: the composer keeps the text. */
  outboxFull: string;
}

export interface Locale {
  launcher: LauncherStrings;
  strings: Strings;
}
