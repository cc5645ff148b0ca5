import { useState } from 'preact/hooks';
import type { Alerts } from '../alerts/alerts.js';

function currentPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'function' ? Notification.permission : 'unsupported';
}

/**
 * The agent's notification settings, kept in this browser: desktop notifications (the browser's permission is asked
 * only from the button here, never on load) and the chime.
 */
export function AlertSettings({ alerts }: { alerts: Alerts }) {
  const [prefs, setPrefs] = useState(alerts.prefs);
  const [permission, setPermission] = useState(currentPermission);
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
    <details class="alert-settings">
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
