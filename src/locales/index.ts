import { launcher as ar } from './ar/launcher';
import { launcher as de } from './de/launcher';
import { launcher as en } from './en/launcher';
import { launcher as es } from './es/launcher';
import { launcher as fr } from './fr/launcher';
import { launcher as he } from './he/launcher';
import { launcher as ja } from './ja/launcher';
import { launcher as pt } from './pt/launcher';
import type { LauncherStrings } from './types';

/**
 * Languages of the widget, a folder each: `launcher.ts` (the few words the loader carries for every language) and
 * `panel.ts` (the panel's strings, downloaded for the visitor's language only, by `src/app/strings.ts`).
 */
export const LAUNCHER: Record<string, LauncherStrings> = { ar, de, en, es, fr, he, ja, pt };
export type Language = keyof typeof LAUNCHER;

/** Maps a BCP 47 tag to a supported language: "pt-BR" → "pt", unknown → "en". */
export function languageOf(locale: string): string {
  const lang = locale.toLowerCase().split('-')[0] ?? 'en';
  return lang in LAUNCHER ? lang : 'en';
}

/** Languages written right to left; the panel is laid out right to left for them. */
export function isRtl(lang: string): boolean {
  return lang === 'ar' || lang === 'he';
}
