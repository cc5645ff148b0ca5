const NEAR_END_PX = 48;

/**
 * Keeps a scrolling log at its end while the visitor reads the end: through new content, and through size changes
 * (the composer grows with its text and shrinks on send). New content from others while the visitor reads older
 * messages leaves them there and calls `setBelow(true)`, for a way down; the visitor's own messages always come into view.
 */
export function follow(el: HTMLElement, setBelow: (below: boolean) => void) {
  // Whether the visitor reads the end, as of the last scroll (`top`). Measured on every update instead, it would be
  // wrong whenever the list shrank: a composer grown to four lines hides the end without any scroll by the visitor.
  let atEnd = true;
  let top = 0;
  const measure = () => {
    top = el.scrollTop;
    atEnd = el.scrollHeight - top - el.clientHeight < NEAR_END_PX;
  };
  const toEnd = () => {
    el.scrollTop = el.scrollHeight;
    measure();
    setBelow(false);
  };
  const onScroll = () => {
    measure();
    if (atEnd) setBelow(false);
  };
  const resized = new ResizeObserver(() => atEnd && toEnd());
  resized.observe(el);
  el.addEventListener('scroll', onScroll);
  return {
    toEnd,
    /** Content was added at the end: by the visitor (`own`), or by others. */
    added(own: boolean) {
      // A scroll whose event has not arrived yet (events wait for the next frame) counts already.
      if (el.scrollTop !== top) measure();
      if (own || atEnd) toEnd();
      else setBelow(true);
    },
    stop() {
      resized.disconnect();
      el.removeEventListener('scroll', onScroll);
    },
  };
}
