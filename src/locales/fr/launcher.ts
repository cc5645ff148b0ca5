import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'Ouvrir le chat', closeChat: 'Fermer le chat', unread: 'non lus' };
