import type { Host } from '../loader/host';

/**
 * The one change the widget ever makes to the host page, deliberate and undone: while the panel fills a phone's
 * screen (panel.css, up to 480 px wide), the page behind it must not scroll when the visitor drags the panel's header.
 * `overflow: hidden` on <html> applies to the viewport, which iOS Safari (16+) honours like the others, and the message
 * list's `overscroll-behavior: contain` (panel.css) stops its own scroll from chaining to the page. <body> gets it too
 * only when it already clips or scrolls (a page that scrolls in <body>): on a visible <body> it would start a block
 * formatting context, uncollapse margins and shift the page. No `position: fixed` trick on <body>: it moves the page
 * and loses the scroll position. Returns the function that stops watching (and unlocks).
 */
export function lockPageWhileFullScreen(host: Host): () => void {
  const media = matchMedia('(max-width: 480px)');
  // Unlocking returns undefined, so one expression unlocks and then locks again if still needed.
  let unlock: (() => undefined) | undefined;
  const update = () => {
    unlock = unlock?.() ?? (host.isOpen() && media.matches ? lock() : undefined);
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
function lock(): () => undefined {
  const { scrollX, scrollY } = window;
  const { documentElement: root, body } = document;
  const undo = (getComputedStyle(body).overflowY === 'visible' ? [root] : [root, body]).map((el) => {
    const { style } = el;
    const bare = !el.hasAttribute('style');
    const saved = ['overflow-x', 'overflow-y'].map((p) => [p, style.getPropertyValue(p), style.getPropertyPriority(p)]);
    style.setProperty('overflow', 'hidden', 'important');
    return () => {
      for (const [p, value, priority] of saved) style.setProperty(p!, value!, priority);
      if (bare && !style.length) el.removeAttribute('style');
    };
  });
  return () => {
    for (const fn of undo) fn();
    scrollTo(scrollX, scrollY);
  };
}
