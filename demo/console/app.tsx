import { useState } from 'preact/hooks';
import { SignIn } from './components/sign-in.js';
import { Workspace } from './components/workspace.js';
import { clearToken, loadToken, saveToken } from './session.js';

/** Signed out: the token form. Signed in: the workspace, which owns the socket. */
export function App() {
  const [token, setToken] = useState(loadToken);
  // A token kept from an earlier page load was accepted then: if it is refused now, the gateway's agents changed.
  const [fromStorage, setFromStorage] = useState(() => token !== null);
  const [error, setError] = useState<string | null>(null);

  if (!token) {
    return (
      <SignIn
        error={error}
        onSubmit={(t) => {
          saveToken(t);
          setError(null);
          setFromStorage(false);
          setToken(t);
        }}
      />
    );
  }
  return (
    <Workspace
      key={token}
      token={token}
      tokenAccepted={fromStorage}
      onSignOut={(reason) => {
        clearToken();
        setError(reason ?? null);
        setToken(null);
      }}
    />
  );
}
