import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Alerts } from '../alerts/alerts.js';

function currentPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

/** A disclosure used as a pop-over: a click elsewhere or Escape closes it, as menus do. */
function useDismiss(box: RefObject<HTMLDetailsElement>): void {
  useEffect(() => {
    const close = (e: Event) => {
      const el = box.current;
      if (!el?.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !el.contains(e.target as Node)) el.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, [box]);
}

/**
 * The agent's notification settings, kept in this browser: desktop notifications (the browser's permission is asked
 * only from the button here, never on load) and the chime.
 */
export function AlertSettings({ alerts }: { alerts: Alerts }) {
  const [prefs, setPrefs] = useState(alerts.prefs);
  const [permission, setPermission] = useState(currentPermission);
  const box = useRef<HTMLDetailsElement>(null);
  useDismiss(box);
  const update = (next: typeof prefs) => {
    alerts.setPrefs(next);
    setPrefs(next);
  };
  const ask = async () => {
    try {
      setPermission(await Notification.requestPermission());
    } catch {
      setPermission(currentPermission());
    }
  };
  return (
    <details class="alert-settings" ref={box}>
      <summary class="button button--quiet">Notifications</summary>
      <div class="alert-settings__panel">
        {permission === 'default' && (
          <button type="button" class="button" onClick={() => void ask()}>
            Allow desktop notifications
          </button>
        )}
        {permission === 'denied' && (
          <p class="muted">Desktop notifications are blocked in this browser's site settings.</p>
        )}
        {permission === 'unsupported' && <p class="muted">This browser has no desktop notifications.</p>}
        {permission === 'granted' && (
          <label class="check">
            <input
              type="checkbox"
              checked={prefs.desktop}
              onChange={(e) => update({ ...prefs, desktop: e.currentTarget.checked })}
            />{' '}
            Desktop notifications
          </label>
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={prefs.sound}
            onChange={(e) => update({ ...prefs, sound: e.currentTarget.checked })}
          />{' '}
          Sound
        </label>
        <p class="muted alert-settings__note">
          For new conversations, and new messages in conversations that are yours or unassigned; never while you are
          away or reading the conversation.
        </p>
      </div>
    </details>
  );
}
