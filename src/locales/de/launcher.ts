import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'Chat öffnen', closeChat: 'Chat schließen', unread: 'ungelesen' };
