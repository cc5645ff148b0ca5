export type Status = 'online' | 'connecting' | 'offline';
export type Theme = 'light' | 'dark' | 'auto';
export type Position = 'left' | 'right';

/** The widget's configuration, after validation. */
export interface Config {
  gateway: string;
  site: string;
  title: string;
  subtitle: string;
  color: string;
  position: Position;
  greeting: string;
  locale: string;
  open: boolean;
  theme: Theme;
  launcher: boolean;
  zIndex: number;
  nonce?: string;
  userToken?: string;
}
