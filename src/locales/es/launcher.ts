import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'Abrir chat', closeChat: 'Cerrar chat', unread: 'sin leer' };
