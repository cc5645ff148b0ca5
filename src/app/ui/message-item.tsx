import type { ComponentChildren } from 'preact';
import type { Strings } from '../../locales/types';
import type { Author } from '../../protocol';
import { Avatar } from './avatar';
import { Text } from './text';

export type Delivery = 'sent' | 'sending' | 'queued' | 'failed';

/**
 * One message of a group (see group.ts): the first shows the author (with an avatar for agents), the last the time;
 * the others carry the author's name for screen readers only, so every message still says who wrote it.
 */
export function Bubble(props: {
  author: Author;
  name: string;
  avatar?: string | undefined;
  text: string;
  time?: string;
  first: boolean;
  last: boolean;
  /** The last message of the conversation: the only one that says "Sent" (queued and failed ones always say so). */
  tail?: boolean;
  delivery?: Delivery | undefined;
  /** The visitor's last message an agent has read: it says "Seen" (stays `sent` for styles and tests). */
  seen?: boolean;
  strings: Strings;
  /** Without it, a failed message offers no retry (nothing can be sent from this page). */
  onRetry?: (() => void) | undefined;
  /** The message's files (rendered by the lazy attachment chunk). */
  children?: ComponentChildren;
}) {
  const { strings: s, delivery, author, name, last } = props;
  const time = last && props.time;
  const state = props.seen ? s.seen : delivery && (delivery !== 'sent' || props.tail) && s[delivery];
  return (
    <li part="message" class={`${author} ${delivery ?? ''} ${last ? 'last' : ''}`}>
      {props.first && author !== 'visitor' ? (
        <span class="author">
          <Avatar name={name} url={props.avatar} />
          {name}
        </span>
      ) : (
        <span class="sr">{name}</span>
      )}
      {/* auto: each message is laid out in its own direction (English in an Arabic panel, and the reverse). */}
      <p class="bubble" dir="auto">
        <Text text={props.text} />
      </p>
      {props.children}
      {(time || state) && (
        <span class="meta">
          {time}
          {state && `${time ? ' · ' : ''}${state}`}
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
