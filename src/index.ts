/**
 * ESM entry for bundler users: `import { mount } from 'parley'`. Options are the script tag's `data-*` attributes in
 * camelCase and go through the same validation.
 */
import { parseConfig } from './loader/config';
import type { AppModule } from './loader/host';
import { mount as mountWidget, type ParleyApi } from './loader/mount';

export type { ParleyEvent, ParleyEvents } from './loader/events';
export type { ParleyApi } from './loader/mount';
export type { Config, Position, Status, Theme } from './loader/types';

type Language = 'ar' | 'de' | 'en' | 'es' | 'fr' | 'he' | 'ja' | 'pt';
/** Texts per language, as `data-greeting-ar` is on the script tag: `greetingAr` is used when the widget speaks Arabic. */
type Localized = { [K in `${'title' | 'subtitle' | 'greeting'}${Capitalize<Language>}`]?: string };

export interface MountOptions extends Localized {
  gateway?: string;
  site?: string;
  title?: string;
  subtitle?: string;
  color?: string;
  position?: 'left' | 'right';
  greeting?: string;
  locale?: string;
  open?: boolean;
  theme?: 'light' | 'dark' | 'auto';
  launcher?: boolean;
  zIndex?: number;
  nonce?: string;
  userToken?: string;
}

/** Mounts the widget (once per page) and returns its API. */
export function mount(options: MountOptions = {}): ParleyApi {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined && v !== null) attrs[k] = String(v);
  const config = parseConfig(attrs, { scriptSrc: location.href, language: navigator.language });
  return mountWidget(config, () => import('./app/index') as Promise<AppModule>);
}
