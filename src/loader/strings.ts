/** The launcher's strings: all the loader needs before the panel's own strings load with it. */
export interface LauncherStrings {
  openChat: string;
  closeChat: string;
  unread: (n: number) => string;
}

const en: LauncherStrings = {
  openChat: 'Open chat',
  closeChat: 'Close chat',
  unread: (n) => (n === 1 ? '1 unread message' : `${n} unread messages`),
};

export function launcherStrings(_locale: string): LauncherStrings {
  return en;
}
