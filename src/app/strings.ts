import type { Strings } from '../locales/types';

/** The panel's strings; only the visitor's language is downloaded, as one small chunk. */
const LOCALES: Record<string, () => Promise<{ strings: Strings }>> = {
  ar: () => import('../locales/ar/panel'),
  de: () => import('../locales/de/panel'),
  en: () => import('../locales/en/panel'),
  es: () => import('../locales/es/panel'),
  fr: () => import('../locales/fr/panel'),
  he: () => import('../locales/he/panel'),
  ja: () => import('../locales/ja/panel'),
  pt: () => import('../locales/pt/panel'),
};

export async function loadStrings(lang: string): Promise<Strings> {
  return (await (LOCALES[lang] ?? LOCALES.en!)()).strings;
}
