import { Component, h as createElement, createRef, Fragment as Frag } from 'preact';
import type { Host } from '../../loader/host';
import type { Strings } from '../../locales/types';
import { LIMITS } from '../../protocol';
import type { Chat, ChatState } from '../chat';
import { OutboxFullError } from '../outbox';
import { availabilityLine } from './availability';
import { Composer } from './composer';
import { follow } from './follow';
import { PanelHeader } from './header';
import { Bubble } from './message-item';
import { messageRows } from './rows';

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
  /** The email capture, transcript and rating tools, once their chunk is loaded (see `awayNeeded`). */
  tools?: typeof import('./away-tools').AwayTools;
  /** Files chosen for the next message. */
  files: File[];
  /** The attachment chunk, once loaded (see `loadFiles`). */
  ui?: typeof import('../../attachments/widget-chunk');
}

/** The gateway has no address for the visitor and nobody is online (or an agent asks): ask (in line, never blocking). */
const askEmail = (s: ChatState) =>
  !s.emailKnown && (s.emailAsked || (!!s.availability && s.availability.state !== 'online'));
/** The site's pre-chat form is due: nothing sent yet and no address known. */
const prechat = (s: ChatState) => !!s.prechat && !s.emailKnown && !s.messages.length && !s.pending.length;
/** The rarely used tools are needed: an address to ask for, the pre-chat form, or a rating to offer. */
const awayNeeded = (s: ChatState) => askEmail(s) || prechat(s) || (s.conversation === 'resolved' && !!s.rating);

/** The status bar's colour: trouble is a warning, the connection coming back a success, anything else information. */
export const statusTone = (s: ChatState) =>
  s.status === 'offline' || s.notice || !s.durable ? 'warning' : s.backOnline ? 'success' : 'info';

/** What the status bar says: the connection (unless refused, which the notice explains), a notice, a lost outbox. */
function statusLines(state: ChatState, s: Strings): string[] {
  const connection = state.refused
    ? ''
    : state.status === 'offline'
      ? s.offline
      : state.status === 'connecting'
        ? s.connecting
        : state.backOnline
          ? s.backOnline
          : '';
  return [connection, state.notice ?? '', state.durable ? '' : s.notDurable].filter(Boolean);
}

const itemCount = (s: ChatState) =>
  s.messages.length +
  s.pending.length +
  s.typing.length +
  (s.conversation === 'resolved' ? 1 : 0) +
  (s.rating ? 1 : 0) +
  (s.emailKnown ? 1 : 0);

/**
 * WebKit has no `field-sizing: content`: there the composer grows (and shrinks) from its content height instead. The
 * CSS max-height still caps it. CSSOM writes, so a strict CSP (no inline styles) allows them.
 */
const growComposer = CSS.supports('field-sizing:content')
  ? () => {}
  : (el: HTMLTextAreaElement) => {
      el.style.height = '';
      el.style.height = `${el.scrollHeight + el.offsetHeight - el.clientHeight}px`;
    };

/**
 * What the polite live region says when nobody is typing: the agent's last message, or "Seen" on the visitor's last
 * one, so a screen reader hears news without reading the whole log again.
 */
const announcement = (state: ChatState, s: Strings) => {
  const last = state.messages.at(-1);
  return last?.author === 'agent'
    ? `${last.agentName ?? s.team}: ${last.text}`
    : last && last.seq <= state.agentReadSeq && !state.pending[0]
      ? s.seen
      : '';
};

/** The log's bubbles; once the attachment chunk is loaded, each also shows its files. */
const bubbles = (
  rows: ReturnType<typeof messageRows>,
  state: ChatState,
  s: Strings,
  host: Host,
  time: Intl.DateTimeFormat,
  ui: State['ui'],
  session: () => string,
) =>
  rows.map((r, i) => (
    <Bubble {...r} tail={i === rows.length - 1} time={r.createdAt ? time.format(r.createdAt) : ''} strings={s}>
      {ui && r.files && <ui.MessageFiles files={r.files} gateway={host.config.gateway} session={session} />}
      {ui && r.queuedFiles && (
        <ui.QueuedFiles
          files={r.queuedFiles}
          refusal={r.refusal}
          done={state.upload?.id === r.key ? state.upload.done : undefined}
          strings={ui.attachmentStrings(host.lang)}
        />
      )}
    </Bubble>
  ));

/** The files chosen for the next message, shown above the composer once the attachment chunk is loaded. */
const stagedFiles = (ui: State['ui'], files: File[], lang: Host['lang'], onRemove: (i: number) => void) =>
  ui &&
  files.length > 0 && (
    <ui.StagedFiles files={files} error="" strings={ui.attachmentStrings(lang)} onRemove={onRemove} />
  );

/** "Ana is typing", after three animated dots. */
const typingLine = (typists: string) => (
  <div part="typing" class="typing">
    <span class="dots" aria-hidden="true">
      <i />
      <i />
      <i />
    </span>
    {typists}
  </div>
);

/** The lazily loaded away tools (email capture, pre-chat form, rating, transcript), once their chunk is in. */
function awayTools(Tools: State['tools'], host: Props['host'], chat: Props['chat'], state: State['chat']) {
  return (
    Tools && (
      <Tools host={host} chat={chat} state={state} lang={host.lang} ask={askEmail(state)} prechat={prechat(state)} />
    )
  );
}

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
    files: [],
  };
  private loading?: Promise<unknown>;
  /** Loads the attachment UI once: on the first file chosen, or the first message with files shown. */
  private loadFiles = () => {
    this.loading ??= import('../../attachments/widget-chunk').then((ui) => {
      ui.useJsx(createElement, Frag);
      this.setState({ ui });
    });
  };
  private list = createRef<HTMLDivElement>();
  private input = createRef<HTMLTextAreaElement>();
  private offs: (() => void)[] = [];
  private follow!: ReturnType<typeof follow>;
  /** Built once: a panel's locale never changes, and a formatter is costly to build on every render. */
  private time = new Intl.DateTimeFormat(this.props.host.config.locale, { hour: 'numeric', minute: '2-digit' });
  /** Likewise: "Ana and Ben" for the typing line. */
  private typists = new Intl.ListFormat(this.props.host.lang);

  override componentDidMount() {
    const { chat, host } = this.props;
    this.follow = follow(this.list.current!, (below) => below === this.state.below || this.setState({ below }));
    this.offs = [
      chat.subscribe(() => this.setState({ chat: chat.getState() })),
      host.onOpenChange((open) => this.setState({ open })),
      this.follow.stop,
    ];
    if (this.state.open) this.opened();
    this.loadTools();
  }

  override componentWillUnmount() {
    for (const off of this.offs) off();
  }

  /** Loads the tools' chunk the first time they are needed; a failed load is tried again on the next update. */
  private loadTools() {
    if (this.state.tools || this.toolsLoading || !awayNeeded(this.state.chat)) return;
    this.toolsLoading = import('./away-tools').then(
      (m) => this.setState({ tools: m.AwayTools }),
      () => {
        this.toolsLoading = undefined;
      },
    );
  }
  private toolsLoading: Promise<void> | undefined;

  override componentDidUpdate(_: Props, prev: State) {
    const { chat } = this.state;
    this.loadTools();
    if (this.state.text !== prev.text) growComposer(this.input.current!);
    if (this.state.tools !== prev.tools) this.follow.added(false);
    if (chat.messages.some((m) => m.attachments) || chat.pending.some((p) => p.files)) this.loadFiles();
    if (this.state.open && !prev.open) this.opened();
    else if (itemCount(chat) !== itemCount(prev.chat))
      this.follow.added(chat.pending.length > prev.chat.pending.length);
  }

  /** Focus moves into the panel when it opens; the loader moves it back to the launcher when it closes. */
  private opened() {
    this.follow.toEnd();
    this.input.current?.focus();
  }

  private onInput = (e: { currentTarget: HTMLTextAreaElement }) => {
    const text = e.currentTarget.value;
    this.setState({ text, ...(text.trim().length <= LIMITS.messageLength ? { error: '' } : {}) });
    this.props.chat.typing(text.trim().length > 0);
  };

  /**
   * Every Enter on a non-empty composer is a message: the text leaves the composer at once, so the next Enter is the
   * next message however slow the outbox is to write (IndexedDB on phones), and the outbox keeps call order. If the
   * outbox refuses it, the text comes back into the composer, before anything typed since, with the reason.
   */
  private submit = async () => {
    const { strings: s, chat } = this.props;
    const text = this.state.text.trim();
    const { files } = this.state;
    // The pre-chat form comes first (once its chunk shows it); the text stays in the composer meanwhile.
    if (!text && !files.length) return;
    if (this.state.tools && prechat(this.state.chat)) return;
    if (text.length > LIMITS.messageLength) return this.setState({ error: s.tooLong(LIMITS.messageLength) });
    this.setState({ text: '', error: '', files: [] });
    try {
      await chat.send(text, files);
    } catch (err) {
      this.setState((now) => ({
        files,
        text: now.text ? `${text}\n${now.text}` : text,
        error: err instanceof OutboxFullError ? s.outboxFull : String((err as Error)?.message ?? err),
      }));
    }
  };

  override render({ host, strings: s, chat }: Props, { chat: state, open, text, error, below, files, ui }: State) {
    const { config } = host;
    const { typing } = state;
    const status = statusLines(state, s);
    const typists = typing[0] && s.typing(this.typists.format(typing), !!typing[1]);
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
        <PanelHeader
          title={title}
          subtitle={config.subtitle}
          presence={state.presence}
          agent={state.agent}
          avatar={state.avatars?.[state.agent!]}
          availability={availabilityLine(state.availability, s, host.lang, this.time)}
          strings={s}
          onClose={close}
        />
        <div part="status" class="status" role="status" data-tone={statusTone(state)} hidden={!status.length}>
          {status.join(' ')}
        </div>
        <div class="wrap">
          <div part="messages" class="messages" ref={this.list} role="log" aria-label={s.messagesLabel} aria-live="off">
            <ol>
              {bubbles(
                messageRows(state, s, title, config.greeting || s.defaultGreeting, chat.retry),
                state,
                s,
                host,
                this.time,
                ui,
                chat.session,
              )}
            </ol>
            {state.conversation === 'resolved' && <p class="note">{s.resolved}</p>}
            {/* In the scrolled area, after the last message: never shrinks the conversation's view. */}
            {awayTools(this.state.tools, host, chat, state)}
            {typists && typingLine(typists)}
          </div>
          {below && (
            <button type="button" class="jump" onClick={() => this.follow.toEnd()}>
              {s.newMessages} ↓
            </button>
          )}
        </div>
        <Composer
          text={text}
          error={error}
          strings={s}
          inputRef={this.input}
          onInput={this.onInput}
          onSubmit={() => void this.submit()}
          onBlur={() => chat.typing(false)}
          hasFiles={files.length > 0}
          onFiles={(chosen) => {
            this.setState({ files: [...files, ...chosen] });
            this.loadFiles();
          }}
          staged={stagedFiles(ui, files, host.lang, (i) => this.setState({ files: files.filter((_, j) => j !== i) }))}
        />
        <div class="sr" aria-live="polite">
          {typists || announcement(state, s)}
        </div>
      </section>
    );
  }
}
