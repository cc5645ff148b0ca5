import { useMemo } from 'preact/hooks';
import { linkify } from '../../../src/linkify.js';

/** Message text as Preact text nodes, with http(s) and mailto URLs as links; never parsed as HTML. */
export function RichText({ text }: { text: string }) {
  const tokens = useMemo(() => linkify(text), [text]);
  return (
    <>
      {tokens.map((t, i) =>
        t.type === 'link' ? (
          <a key={i} href={t.href} rel="noopener noreferrer" target="_blank">
            {t.text}
          </a>
        ) : (
          t.text
        ),
      )}
    </>
  );
}
