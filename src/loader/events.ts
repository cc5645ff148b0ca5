import type { Status } from './types';

/** Public events of `window.Parley.on`, with their payloads. */
export interface ParleyEvents {
  ready: undefined;
  open: undefined;
  close: undefined;
  message: { id: string; author: 'visitor' | 'agent'; agentName?: string; text: string; createdAt: number };
  unread: { count: number };
  status: { status: Status };
}
export type ParleyEvent = keyof ParleyEvents;
export type Listener<E extends ParleyEvent> = (payload: ParleyEvents[E]) => void;

/** A tiny typed emitter whose `on` returns its own unsubscribe function, Socket.IO style. */
export function createEmitter() {
  const listeners = new Map<ParleyEvent, Set<Listener<never>>>();
  return {
    on<E extends ParleyEvent>(event: E, fn: Listener<E>): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(fn as Listener<never>);
      return () => set.delete(fn as Listener<never>);
    },
    emit<E extends ParleyEvent>(event: E, payload: ParleyEvents[E]): void {
      for (const fn of [...(listeners.get(event) ?? [])]) {
        // A throwing host-page listener must not break the widget or the other listeners.
        try {
          (fn as Listener<E>)(payload);
        } catch (err) {
          console.error('[parley] a listener for', event, 'threw', err);
        }
      }
    },
    clear(): void {
      listeners.clear();
    },
  };
}
export type Emitter = ReturnType<typeof createEmitter>;
