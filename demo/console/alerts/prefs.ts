import { type AlertPrefs, DEFAULT_PREFS } from './decide.js';

const key = (agent: string) => `parley:console-alerts:${agent}`;

/** The agent's alert preferences in this browser (localStorage); the defaults when none or unreadable. */
export function loadPrefs(agent: string): AlertPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(key(agent)) ?? 'null') as Partial<AlertPrefs> | null;
    return {
      desktop: typeof raw?.desktop === 'boolean' ? raw.desktop : DEFAULT_PREFS.desktop,
      sound: typeof raw?.sound === 'boolean' ? raw.sound : DEFAULT_PREFS.sound,
    };
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export function savePrefs(agent: string, prefs: AlertPrefs): void {
  try {
    localStorage.setItem(key(agent), JSON.stringify(prefs));
  } catch {
    // Storage disabled: the choice holds for this page only.
  }
}
