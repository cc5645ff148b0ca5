/**
 * The few facts the loader needs synchronously at page load, kept in localStorage under a per-site key:
 * whether this browser has a session (so a returning visitor reconnects while a new one costs nothing), and the
 * unread count (so the badge is right before any socket exists). Every access is guarded: storage can be disabled,
 * full, or throw in private modes, and the widget must never throw into the host page.
 */
export interface Persisted {
  /** Session token issued by the gateway. */
  session?: string;
  /** Unread agent messages. */
  unread?: number;
  /** Highest message sequence number the visitor has seen with the panel open. */
  seenSeq?: number;
  /** The conversation `seenSeq` counts in (`null`: none yet); a verified user's session can move to another one. */
  conversation?: string | null;
  /** Messages waiting in the outbox: the app must load at start-up to deliver them, even with no session yet. */
  queued?: number;
}

export function persistedKey(site: string): string {
  return `parley:${site}`;
}

export function readPersisted(site: string): Persisted {
  try {
    const raw = localStorage.getItem(persistedKey(site));
    const value = raw ? (JSON.parse(raw) as unknown) : {};
    return value && typeof value === 'object' ? (value as Persisted) : {};
  } catch {
    return {};
  }
}

export function writePersisted(site: string, patch: Persisted): Persisted {
  const next = { ...readPersisted(site), ...patch };
  try {
    localStorage.setItem(persistedKey(site), JSON.stringify(next));
  } catch {}
  return next;
}

export function clearPersisted(site: string): void {
  try {
    localStorage.removeItem(persistedKey(site));
  } catch {}
}
