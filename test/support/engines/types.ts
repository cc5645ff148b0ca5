/**
 * The little the shared cross-engine scenarios (test/e2e/engines.test.ts) need from a browser, so that one scenario
 * file runs in Chromium (Playwright), Firefox (puppeteer-core over WebDriver BiDi) and WebKitGTK (selenium-webdriver
 * over WebDriver classic). Selectors are CSS selectors inside the widget's open shadow root.
 */
export interface EnginePage {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `fn(arg)` in the page and returns its (awaited, JSON-serializable) result. */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  /** A real (trusted) click on the first element matching `selector` in the widget. */
  click(selector: string): Promise<void>;
  /** Real key presses into the element; a `\n` in `text` is Shift+Enter (a new line, not a send). */
  type(selector: string, text: string): Promise<void>;
  /** Presses Enter in the element. */
  pressEnter(selector: string): Promise<void>;
  /** Console errors and uncaught exceptions the automation protocol reports; WebDriver classic reports none. */
  nativeErrors(): string[];
  close(): Promise<void>;
}

export interface EngineBrowser {
  /** A page in a fresh profile (its own storage, IndexedDB and cookies). */
  newPage(): Promise<EnginePage>;
  close(): Promise<void>;
}

export interface Engine {
  name: 'chromium' | 'firefox' | 'webkit';
  launch(): Promise<EngineBrowser>;
}

/** Finds the element for `selector` in the widget's shadow root, from inside the page. */
export const IN_WIDGET = (selector: string): Element | null =>
  document.querySelector('parley-chat')?.shadowRoot?.querySelector(selector) ?? null;
