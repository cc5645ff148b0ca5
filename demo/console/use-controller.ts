import { useEffect, useState } from 'preact/hooks';
import { type Alerts, createAlerts } from './alerts/alerts.js';
import { unlockAudioOnGesture } from './attention.js';
import { type Controller, createController } from './controller.js';

function conversationFromHash(): string | null {
  const id = decodeURIComponent(location.hash.slice(1));
  return id || null;
}

/**
 * One controller for the component's life: started on mount (reopening the conversation in the URL fragment),
 * destroyed on unmount, with the desktop notifications and chime for visitor messages (alerts/).
 */
export function useController(
  token: string,
  signOut: { current: (reason?: string) => void },
  tokenAccepted = false,
): { controller: Controller; alerts: Alerts } {
  const [parts] = useState(() => {
    let alerts: Alerts | undefined;
    const controller = createController(token, {
      tokenAccepted,
      onUnauthorized: (message) => signOut.current(message),
      onVisitorMessage: (m) => void alerts?.onVisitorMessage(m),
    });
    alerts = createAlerts(controller.state);
    return { controller, alerts };
  });
  const { controller, alerts } = parts;
  useEffect(() => {
    const offAudio = unlockAudioOnGesture();
    const offState = controller.state.subscribe(alerts.onState);
    // A click on a desktop notification opens its conversation through the fragment.
    const onHash = () => controller.select(conversationFromHash());
    window.addEventListener('hashchange', onHash);
    controller.start();
    const fromHash = conversationFromHash();
    if (fromHash) controller.select(fromHash);
    return () => {
      offAudio();
      offState();
      window.removeEventListener('hashchange', onHash);
      alerts.close();
      controller.destroy();
    };
  }, [controller, alerts]);
  return parts;
}
