import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'פתיחת הצ׳אט', closeChat: 'סגירת הצ׳אט', unread: 'שלא נקראו' };
