import type { PageInfo } from '../protocol';

/**
 * Single-page sites change the URL without a reload: calls `onPage` when the visitor moves on (Navigation API where
 * there is one, history and hash changes everywhere). Returns the function that stops watching.
 */
export function watchNavigation(onPage: (page: PageInfo) => void): () => void {
  let page = location.href;
  const onNavigate = () => {
    if (location.href === page) return;
    page = location.href;
    onPage({ url: page, title: document.title });
  };
  const nav = (window as { navigation?: EventTarget }).navigation;
  const targets: [EventTarget | undefined, string][] = [
    [nav, 'navigatesuccess'],
    [window, 'popstate'],
    [window, 'hashchange'],
  ];
  for (const [target, event] of targets) target?.addEventListener(event, onNavigate);
  return () => {
    for (const [target, event] of targets) target?.removeEventListener(event, onNavigate);
  };
}
