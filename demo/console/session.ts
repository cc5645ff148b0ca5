const KEY = 'parley:agent-token';

// sessionStorage can throw (disabled storage, sandboxed frames); the console then simply forgets on reload.

/** The token saved for this tab, if any: a reload keeps the agent signed in, a new tab asks again. */
export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Memory only: the sign-in holds until the tab is reloaded.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}
