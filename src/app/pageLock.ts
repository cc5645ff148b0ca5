import type { Host } from '../loader/host';

/** Where the panel fills the screen: the breakpoint of panel.css. */
const FULL_SCREEN = '(max-width: 480px)';

/**
 * The one change the widget ever makes to the host page, deliberate and undone: while the panel fills a phone's
 * screen, the page behind it must not scroll when the visitor drags the panel's header. `overflow: hidden` on <html>
 * applies to the viewport, which iOS Safari (16+) honours like the others, and the message list's
 * `overscroll-behavior: contain` (panel.css) stops its own scroll from chaining to the page. <body> gets it too only
 * when it already clips or scrolls (a page that scrolls in <body>): on a visible <body> it would start a block
 * formatting context, uncollapse margins and shift the page. No `position: fixed` trick on <body>: it moves the page
 * and loses the scroll position. Returns the function that stops watching.
 */
export function lockPageWhileFullScreen(host: Host): () => void {
  const media = matchMedia(FULL_SCREEN);
  let unlock: (() => void) | undefined;
  const update = () => {
    if (host.isOpen() && media.matches) unlock ??= lock();
    else {
      unlock?.();
      unlock = undefined;
    }
  };
  media.addEventListener('change', update);
  const off = host.onOpenChange(update);
  update();
  return () => {
    media.removeEventListener('change', update);
    off();
    unlock?.();
  };
}

/** Hides the page's overflow; the returned function restores the exact inline values, priorities and scroll position. */
function lock(): () => void {
  const { scrollX, scrollY } = window;
  const { documentElement: root, body } = document;
  const locked = getComputedStyle(body).overflowY === 'visible' ? [root] : [root, body];
  const restore = locked.map((el) => {
    const hadStyle = el.hasAttribute('style');
    const saved = ['overflow-x', 'overflow-y'].map((p) => {
      const value = [p, el.style.getPropertyValue(p), el.style.getPropertyPriority(p)] as const;
      el.style.setProperty(p, 'hidden', 'important');
      return value;
    });
    return () => {
      for (const [p, value, priority] of saved) el.style.setProperty(p, value, priority);
      if (!hadStyle && !el.style.length) el.removeAttribute('style');
    };
  });
  return () => {
    for (const fn of restore) fn();
    window.scrollTo({ left: scrollX, top: scrollY, behavior: 'instant' });
  };
}
