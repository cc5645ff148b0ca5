const NEAR_END_PX = 48;

/**
 * Keeps a scrolling log at its end while the visitor reads the end: through new content, and through size changes
 * (the composer grows with its text and shrinks on send). New content from others while the visitor reads older
 * messages leaves them there and calls `setBelow(true)`, for a way down; the visitor's own messages always come into view.
 */
export function follow(el: HTMLElement, setBelow: (below: boolean) => void) {
  // Whether the visitor reads the end, as of their last scroll. Measured after the fact instead, it would be wrong
  // whenever the list shrank (a composer grown to four lines hides the end without any scroll by the visitor).
  let atEnd = true;
  const toEnd = () => {
    el.scrollTop = el.scrollHeight;
    atEnd = true;
    setBelow(false);
  };
  const onScroll = () => {
    atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_END_PX;
    if (atEnd) setBelow(false);
  };
  const resized = new ResizeObserver(() => atEnd && toEnd());
  resized.observe(el);
  el.addEventListener('scroll', onScroll);
  return {
    toEnd,
    /** Content was added at the end: by the visitor (`own`), or by others. */
    added: (own: boolean) => (own || atEnd ? toEnd() : setBelow(true)),
    stop() {
      resized.disconnect();
      el.removeEventListener('scroll', onScroll);
    },
  };
}
