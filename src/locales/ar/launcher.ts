import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = { openChat: 'فتح الدردشة', closeChat: 'إغلاق الدردشة', unread: 'غير مقروءة' };
