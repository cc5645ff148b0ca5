import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'Open chat', closeChat: 'Close chat', unread: 'unread' };
