/**
 * The rarely used tools of the panel, a chunk of their own loaded with `import()` only when needed: the email capture
 * (nobody online), the site's pre-chat form (prechat-form.tsx), the transcript button, and the rating group after an
 * agent resolved the conversation.
 */
import { Component } from 'preact';
import type { Host } from '../../loader/host';
import { EMAIL_ADDRESS, LIMITS_EMAIL_LENGTH, RATING_COMMENT_LENGTH } from '../../protocol';
import css from '../away/away.css' with { type: 'text' };
import { awayStrings } from '../away/strings';
import type { Chat, ChatState } from '../chat';
import { PrechatForm } from './prechat-form';

interface Props {
  host: Host;
  chat: Chat;
  state: ChatState;
  lang: string;
  /** Ask for an address (nobody online and none known yet). */
  ask: boolean;
  /** Show the site's pre-chat form (`state.prechat`, nothing sent yet). */
  prechat: boolean;
}

interface State {
  email: string;
  error: string;
  info: string;
  score: number;
  comment: string;
  rated: boolean;
}

export class AwayTools extends Component<Props, State> {
  override state: State = { email: '', error: '', info: '', score: 0, comment: '', rated: false };

  override componentDidMount() {
    this.props.host.adoptStyles(css);
  }

  private saveEmail = async (e: Event) => {
    e.preventDefault();
    const s = awayStrings(this.props.lang);
    const email = this.state.email.trim();
    if (!EMAIL_ADDRESS.test(email) || email.length > LIMITS_EMAIL_LENGTH) return this.setState({ error: s.badEmail });
    const ack = await this.props.chat.request('email', { email });
    if (!ack.ok) return this.setState({ error: s.failed });
    this.setState({ error: '', info: s.saved });
    this.props.chat.emailLeft();
  };

  private transcript = async () => {
    const s = awayStrings(this.props.lang);
    const ack = await this.props.chat.request('transcript', {});
    this.setState({ info: ack.ok ? s.transcriptSent(String(ack.to)) : String(ack.message ?? s.failed) });
  };

  private rate = async (e: Event) => {
    e.preventDefault();
    const { score, comment } = this.state;
    if (!score) return;
    const ack = await this.props.chat.request('rate', {
      score,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    });
    this.setState(ack.ok ? { rated: true, info: '' } : { info: awayStrings(this.props.lang).failed });
  };

  override render({ state, ask, lang, prechat, chat }: Props, { email, error, info, score, comment, rated }: State) {
    const s = awayStrings(lang);
    const rating = state.conversation === 'resolved' && state.rating;
    return (
      <div class="away">
        {/* One question at a time: a rating offer takes the place of the address (the panel has little room). */}
        {prechat && state.prechat && <PrechatForm chat={chat} strings={s} privacyUrl={state.prechat} />}
        {ask && !rating && !prechat && (
          <form class="capture" onSubmit={this.saveEmail} noValidate>
            <label for="parley-email">{s.askEmail}</label>
            <div>
              <input
                id="parley-email"
                type="email"
                autocomplete="email"
                aria-label={s.email}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? 'parley-email-error' : undefined}
                maxLength={LIMITS_EMAIL_LENGTH}
                value={email}
                onInput={(e) => this.setState({ email: e.currentTarget.value, error: '' })}
              />
              <button type="submit">{s.save}</button>
            </div>
            {error && (
              <p id="parley-email-error" class="error" role="alert">
                {error}
              </p>
            )}
          </form>
        )}
        {rating && !rated && (
          <form class="rating" onSubmit={this.rate}>
            <fieldset aria-label={s.rate}>
              <legend>{s.rate}</legend>
              {[1, 2, 3, 4, 5].map((n) => (
                <button
                  type="button"
                  aria-label={s.score(n)}
                  aria-pressed={(score || rating.score) === n ? 'true' : 'false'}
                  onClick={() => this.setState({ score: n })}
                >
                  {n}
                </button>
              ))}
            </fieldset>
            <input
              aria-label={s.comment}
              placeholder={s.comment}
              maxLength={RATING_COMMENT_LENGTH}
              value={comment}
              onInput={(e) => this.setState({ comment: e.currentTarget.value })}
            />
            <button type="submit" disabled={!score}>
              {s.sendRating}
            </button>
          </form>
        )}
        {rated && <p class="info">{s.thanks}</p>}
        {state.emailKnown && state.messages.length > 0 && (
          <button type="button" class="link" onClick={() => void this.transcript()}>
            {s.transcript}
          </button>
        )}
        {info && (
          <p class="info" role="status">
            {info}
          </p>
        )}
      </div>
    );
  }
}
