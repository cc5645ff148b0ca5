/**
 * The site's pre-chat form (`welcome.prechat`), in the away tools' chunk: a name, an email address and a required
 * consent to the site's privacy policy, before the first message. The composer keeps what the visitor typed meanwhile.
 */
import { Component } from 'preact';
import { EMAIL_ADDRESS, LIMITS_EMAIL_LENGTH, LIMITS_NAME_LENGTH } from '../../protocol';
import type { AwayStrings } from '../away/strings';
import type { Chat } from '../chat';

interface Props {
  chat: Chat;
  strings: AwayStrings;
  /** The site's privacy policy; linked only when it is http(s) (the gateway sends `https:` only). */
  privacyUrl: string;
}

interface State {
  name: string;
  email: string;
  consent: boolean;
  error: string;
}

export class PrechatForm extends Component<Props, State> {
  override state: State = { name: '', email: '', consent: false, error: '' };

  private submit = async (e: Event) => {
    e.preventDefault();
    const s = this.props.strings;
    const name = this.state.name.trim();
    const email = this.state.email.trim();
    if (!name) return this.setState({ error: s.name });
    if (!EMAIL_ADDRESS.test(email) || email.length > LIMITS_EMAIL_LENGTH) return this.setState({ error: s.badEmail });
    if (!this.state.consent) return this.setState({ error: s.needConsent });
    const ack = await this.props.chat.request('email', { email, name, consent: true });
    if (!ack.ok) return this.setState({ error: s.failed });
    this.props.chat.emailLeft();
  };

  override render({ strings: s, privacyUrl }: Props, { name, email, consent, error }: State) {
    const safe = /^https?:\/\//i.test(privacyUrl);
    return (
      <form class="capture prechat" onSubmit={this.submit} noValidate aria-describedby="parley-prechat-intro">
        <p id="parley-prechat-intro">{s.prechat}</p>
        <label for="parley-prechat-name">{s.name}</label>
        <input
          id="parley-prechat-name"
          autocomplete="name"
          maxLength={LIMITS_NAME_LENGTH}
          value={name}
          onInput={(e) => this.setState({ name: e.currentTarget.value, error: '' })}
        />
        <label for="parley-prechat-email">{s.email}</label>
        <input
          id="parley-prechat-email"
          type="email"
          autocomplete="email"
          maxLength={LIMITS_EMAIL_LENGTH}
          value={email}
          onInput={(e) => this.setState({ email: e.currentTarget.value, error: '' })}
        />
        <label class="consent">
          <input
            type="checkbox"
            required
            checked={consent}
            onChange={(e) => this.setState({ consent: e.currentTarget.checked, error: '' })}
          />{' '}
          {s.consent}{' '}
          {safe && (
            <a href={privacyUrl} target="_blank" rel="noopener noreferrer">
              {s.privacy}
            </a>
          )}
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">{s.start}</button>
      </form>
    );
  }
}
