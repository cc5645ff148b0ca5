import type { LauncherStrings } from '../types';

export const launcher: LauncherStrings = {
  openChat: 'チャットを開く',
  closeChat: 'チャットを閉じる',
  unread: '件の未読',
};
