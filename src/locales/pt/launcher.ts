import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'Abrir chat', closeChat: 'Fechar chat', unread: 'não lidas' };
