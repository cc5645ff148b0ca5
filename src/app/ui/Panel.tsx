import { Component, createRef } from 'preact';
import { SEND_ICON } from '../../icons';
import type { Host } from '../../loader/host';
import type { Strings } from '../../locales/types';
import { LIMITS } from '../../protocol';
import type { Chat, ChatState } from '../chat';
import { Header, Icon } from './Header';
import { MessageItem } from './MessageItem';
import { messageRows } from './rows';

const NEAR_BOTTOM_PX = 48;

interface Props {
  host: Host;
  chat: Chat;
  strings: Strings;
}

interface State {
  chat: ChatState;
  open: boolean;
  /** The composer's text; kept when a send is refused so nothing the visitor wrote is lost. */
  text: string;
  error: string;
  /** New messages arrived below while the visitor was reading older ones. */
  below: boolean;
}

/** The status bar's colour: trouble is a warning, the connection coming back a success, anything else information. */
export const statusTone = (s: ChatState) =>
  s.status === 'offline' || s.notice || !s.durable ? 'warning' : s.backOnline ? 'success' : 'info';

const itemCount = (s: ChatState) => s.messages.length + s.pending.length + (s.typing ? 1 : 0);

/**
 * The chat panel: the one stateful component (plain Preact class, so the widget needs no hooks runtime); everything
 * it renders is a pure function of its state.
 */
export class Panel extends Component<Props, State> {
  override state: State = {
    chat: this.props.chat.getState(),
    open: this.props.host.isOpen(),
    text: '',
    error: '',
    below: false,
  };
  private list = createRef<HTMLDivElement>();
  private input = createRef<HTMLTextAreaElement>();
  private offs: (() => void)[] = [];

  override componentDidMount() {
    const { chat, host } = this.props;
    this.offs = [
      chat.subscribe(() => this.setState({ chat: chat.getState() })),
      host.onOpenChange((open) => this.setState({ open })),
    ];
    if (this.state.open) this.opened();
  }

  override componentWillUnmount() {
    for (const off of this.offs) off();
  }

  /** Where the visitor was before this update: the decision to follow new messages is made on that, not on a stale flag. */
  override getSnapshotBeforeUpdate(): boolean {
    return this.nearBottom();
  }

  override componentDidUpdate(_: Props, prev: State, wasNearBottom: boolean) {
    if (this.state.open && !prev.open) this.opened();
    else if (itemCount(this.state.chat) !== itemCount(prev.chat)) {
      // Follow new messages only when the visitor is at the bottom; never yank them away from older ones.
      if (wasNearBottom) this.toBottom();
      else if (!this.state.below) this.setState({ below: true });
    }
  }

  private nearBottom(): boolean {
    const el = this.list.current;
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  }

  /** Focus moves into the panel when it opens; the loader moves it back to the launcher when it closes. */
  private opened() {
    this.toBottom();
    this.input.current?.focus();
  }

  private toBottom = () => {
    const el = this.list.current;
    if (el) el.scrollTop = el.scrollHeight;
    if (this.state.below) this.setState({ below: false });
  };

  private onScroll = () => {
    if (this.state.below && this.nearBottom()) this.setState({ below: false });
  };

  private onInput = (e: { currentTarget: HTMLTextAreaElement }) => {
    const text = e.currentTarget.value;
    this.setState({ text, ...(text.trim().length <= LIMITS.messageLength ? { error: '' } : {}) });
    this.props.chat.typing(text.trim().length > 0);
  };

  private sending = false;

  /** The text leaves the composer only once it is safely in the outbox; a refusal keeps it there with the reason. */
  private submit = async () => {
    const { strings: s, chat } = this.props;
    const text = this.state.text.trim();
    if (!text || this.sending) return;
    if (text.length > LIMITS.messageLength) return this.setState({ error: s.tooLong(LIMITS.messageLength) });
    this.sending = true;
    try {
      await chat.send(text);
      if (this.state.text.trim() === text) this.setState({ text: '', error: '' });
    } catch (err) {
      this.setState({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sending = false;
    }
  };

  override render({ host, strings: s, chat }: Props, { chat: state, open, text, error, below }: State) {
    const { config } = host;
    const time = new Intl.DateTimeFormat(config.locale, { hour: 'numeric', minute: '2-digit' });
    const status = [
      state.status === 'offline'
        ? s.offline
        : state.status === 'connecting'
          ? s.connecting
          : state.backOnline
            ? s.backOnline
            : '',
      state.notice ?? '',
      state.durable ? '' : s.notDurable,
    ].filter(Boolean);
    // A polite live region announces agent messages and typing without reading the whole log again.
    const last = state.messages.at(-1);
    const announce = state.typing
      ? s.typing(state.typing)
      : last?.author === 'agent'
        ? `${last.agentName ?? s.team}: ${last.text}`
        : '';
    const close = () => host.setOpen(false);
    const title = config.title || s.defaultTitle;

    return (
      <section
        part="panel"
        class="panel"
        role="dialog"
        aria-labelledby="parley-title"
        hidden={!open}
        onKeyDown={(e) => {
          if (e.key === 'Escape') close();
        }}
      >
        <Header
          title={title}
          subtitle={config.subtitle}
          presence={state.presence}
          agent={state.agent}
          avatar={state.avatars?.[state.agent!]}
          strings={s}
          onClose={close}
        />
        <div part="status" class="status" role="status" data-tone={statusTone(state)} hidden={!status.length}>
          {status.join(' ')}
        </div>
        <div class="wrap">
          <div
            part="messages"
            class="messages"
            ref={this.list}
            onScroll={this.onScroll}
            role="log"
            aria-label={s.messagesLabel}
            aria-live="off"
          >
            <ol>
              {messageRows(state, s, title, config.greeting || s.defaultGreeting, chat.retry).map((r, i, all) => (
                <MessageItem
                  {...r}
                  tail={i === all.length - 1}
                  time={r.createdAt ? time.format(r.createdAt) : ''}
                  strings={s}
                />
              ))}
            </ol>
            {state.conversation === 'resolved' && <p class="note">{s.resolved}</p>}
            {state.typing && (
              <div part="typing" class="typing">
                <span class="dots" aria-hidden="true">
                  <i />
                  <i />
                  <i />
                </span>
                {s.typing(state.typing)}
              </div>
            )}
          </div>
          {below && (
            <button type="button" class="jump" onClick={this.toBottom}>
              {s.newMessages} ↓
            </button>
          )}
        </div>
        <form
          part="composer"
          onSubmit={(e) => {
            e.preventDefault();
            void this.submit();
          }}
        >
          {error && <p role="alert">{error}</p>}
          <textarea
            ref={this.input}
            aria-label={s.messageLabel}
            placeholder={s.placeholder}
            rows={1}
            value={text}
            onInput={this.onInput}
            onBlur={() => chat.typing(false)}
            onKeyDown={(e) => {
              // isComposing: the Enter that confirms an IME composition (Japanese, Chinese…) must not send.
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void this.submit();
              }
            }}
          />
          <button part="send" type="submit" class="send" aria-label={s.send} disabled={!text.trim()}>
            <Icon d={SEND_ICON} />
          </button>
        </form>
        <div class="sr" aria-live="polite">
          {announce}
        </div>
      </section>
    );
  }
}
