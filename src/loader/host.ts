import type { Emitter } from './events';
import type { Persisted } from './persisted';
import type { Config } from './types';

/** What the loader hands to the lazily loaded app: the only coupling between the two halves of the widget. */
export interface Host {
  config: Config;
  /** The widget's language, one of `src/locales`. */
  lang: string;
  root: ShadowRoot;
  /** Element the app renders its panel into. */
  panel: HTMLElement;
  emit: Emitter['emit'];
  isOpen(): boolean;
  setOpen(open: boolean): void;
  onOpenChange(fn: (open: boolean) => void): () => void;
  setUnread(count: number): void;
  adoptStyles(css: string): void;
  persisted: {
    read(): Persisted;
    write(patch: Persisted): Persisted;
    clear(): void;
  };
}

export interface App {
  send(text: string): Promise<void>;
  /** Reconnects with the user token now in `config.userToken`. */
  identify(): void;
  /** Forgets the session and the outbox, e.g. when the visitor logs out of the host site. */
  shutdown(): Promise<void>;
  /** Closes the socket and removes every listener and timer. */
  destroy(): void;
}

export interface AppModule {
  start(host: Host): Promise<App>;
}
