import type { AppModule } from './host';
import { createLauncher, type Launcher, mount, type ParleyApi, styleLauncher } from './mount';
import { createPendingApi } from './pending';
import { readPersisted } from './persisted';
import { afterLoadWhenIdle } from './schedule';
import type { Config } from './types';

/**
 * How the script tag starts the widget: the API at once (calls are kept until the widget is mounted), the launcher
 * after the page's `load` when the browser is idle, built in short tasks so that none is long on a slow phone.
 * `readConfig` parses the `data-*` attributes (and warns about invalid ones) then, not while the page loads.
 */
export function boot(readConfig: () => Config, loadApp: () => Promise<AppModule>): ParleyApi {
  let config: Config | undefined;
  const configOnce = () => (config ??= readConfig());
  let cancelled = false;
  const pending = createPendingApi(
    () => readPersisted(configOnce().site).unread ?? 0,
    () => {
      cancelled = true;
      cancelIdle();
    },
  );

  // One task each: every step is short even on a slow phone.
  let launcher: Launcher;
  const steps = [
    () => configOnce(),
    // The page's first localStorage access is a synchronous round trip to the browser process.
    () => readPersisted(configOnce().site),
    () => (launcher = createLauncher(configOnce())),
    () => styleLauncher(launcher, configOnce()),
    () => pending.attach(mount(configOnce(), loadApp, () => launcher)),
  ];
  const run = (i: number) => {
    if (cancelled || i === steps.length) return;
    try {
      steps[i]!();
    } catch (err) {
      console.error('[parley] failed to start', err);
      return;
    }
    // A task of its own: the browser paints and handles input before the next step.
    setTimeout(() => run(i + 1), 0);
  };
  const cancelIdle = afterLoadWhenIdle(() => run(0));
  return pending.api;
}
