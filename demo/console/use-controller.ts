import { useEffect, useState } from 'preact/hooks';
import { beep, unlockAudioOnGesture } from './attention.js';
import { type Controller, createController } from './controller.js';

function conversationFromHash(): string | null {
  const id = decodeURIComponent(location.hash.slice(1));
  return id || null;
}

/**
 * One controller for the component's life: started on mount (reopening the conversation in the URL fragment),
 * destroyed on unmount. A visitor message chimes while the tab is hidden.
 */
export function useController(
  token: string,
  signOut: { current: (reason?: string) => void },
  tokenAccepted = false,
): Controller {
  const [controller] = useState(() =>
    createController(token, {
      tokenAccepted,
      onUnauthorized: (message) => signOut.current(message),
      onVisitorMessage: () => {
        if (document.hidden) beep();
      },
    }),
  );
  useEffect(() => {
    const offAudio = unlockAudioOnGesture();
    controller.start();
    const fromHash = conversationFromHash();
    if (fromHash) controller.select(fromHash);
    return () => {
      offAudio();
      controller.destroy();
    };
  }, [controller]);
  return controller;
}
