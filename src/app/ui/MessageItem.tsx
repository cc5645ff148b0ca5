import type { Strings } from '../../locales/types';
import type { Author } from '../../protocol';
import { Text } from './Text';

export type Delivery = 'sent' | 'sending' | 'queued' | 'failed';

export function MessageItem(props: {
  author: Author;
  name: string;
  text: string;
  time?: string;
  delivery?: Delivery | undefined;
  strings: Strings;
  /** Without it, a failed message offers no retry (nothing can be sent from this page). */
  onRetry?: (() => void) | undefined;
}) {
  const { strings: s, delivery } = props;
  return (
    <li part="message" class={`${props.author} ${delivery ?? ''}`}>
      {props.author !== 'visitor' && <span class="author">{props.name}</span>}
      {/* auto: each message is laid out in its own direction (English in an Arabic panel, and the reverse). */}
      <p class="bubble" dir="auto">
        <Text text={props.text} />
      </p>
      {(props.time || delivery) && (
        <span class="meta">
          {props.time}
          {delivery && ` · ${s[delivery]}`}
          {delivery === 'failed' && props.onRetry && (
            <button type="button" onClick={props.onRetry}>
              {s.retry}
            </button>
          )}
        </span>
      )}
    </li>
  );
}
