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
  onRetry?: () => void;
}) {
  const { strings: s, delivery } = props;
  return (
    <li part="message" class={`${props.author} ${delivery ?? ''}`}>
      {props.author !== 'visitor' && <span class="author">{props.name}</span>}
      <p class="bubble">
        <Text text={props.text} />
      </p>
      {(props.time || delivery) && (
        <span class="meta">
          {props.time}
          {delivery && ` · ${s[delivery]}`}
          {delivery === 'failed' && (
            <button type="button" onClick={props.onRetry}>
              {s.retry}
            </button>
          )}
        </span>
      )}
    </li>
  );
}
