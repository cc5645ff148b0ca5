import { linkify } from '../../linkify';

/** Message text as text nodes, with safe URLs as links that open in a new tab without access to this page. */
export function Text({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((t, i) =>
        t.type === 'link' ? (
          <a key={i} href={t.href} target="_blank" rel="noopener noreferrer">
            {t.text}
          </a>
        ) : (
          t.text
        ),
      )}
    </>
  );
}
