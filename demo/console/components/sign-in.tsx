import { useEffect, useRef, useState } from 'preact/hooks';

interface Props {
  error: string | null;
  onSubmit(token: string): void;
}

/** The token form; the token goes to `sessionStorage` and the Socket.IO `auth` payload, never into a URL. */
export function SignIn({ error, onSubmit }: Props) {
  const [token, setToken] = useState('');
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    input.current?.focus();
  }, []);

  return (
    <main class="signin">
      <form
        class="signin__card"
        method="post"
        onSubmit={(e) => {
          e.preventDefault();
          const t = token.trim();
          if (t) onSubmit(t);
        }}
      >
        <h1 class="signin__title">
          Parley <span class="muted">agent console</span>
        </h1>
        <p class="muted">Sign in with the agent token you were given (see the gateway's start-up output).</p>
        {error && (
          <p class="alert" role="alert" id="signin-error">
            {error}
          </p>
        )}
        {/* Chromium asks password forms for a username field (`[DOM] Password forms should have (optionally hidden)
            username fields`); password managers then store the token under a name the agent recognises. */}
        <input type="text" name="username" autoComplete="username" value="Parley agent" hidden readOnly />
        <label class="field-label" for="agent-token">
          Agent token
        </label>
        <input
          ref={input}
          id="agent-token"
          class="input"
          type="password"
          name="token"
          autoComplete="current-password"
          spellcheck={false}
          required
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : undefined}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button class="button button--primary" type="submit">
          Sign in
        </button>
      </form>
    </main>
  );
}
