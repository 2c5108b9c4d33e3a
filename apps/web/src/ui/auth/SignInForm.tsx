import { type FormEvent, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { toShownError } from '../../state/errors.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';

/**
 * Login and password; when the server answers TOTP_REQUIRED the same form
 * asks for the authenticator (or recovery) code and signs in again with it.
 */
export function SignInForm() {
  const session = useSession();
  const errors = useShownError();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await session.signIn({ login: login.trim(), password, totp: needsCode ? totp.replace(/\s/g, '') : undefined });
    } catch (error) {
      if (toShownError(error).code === 'TOTP_REQUIRED' && !needsCode) setNeedsCode(true);
      else errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-label="Sign in">
      {needsCode ? (
        <>
          <p className="form-lead">Two-factor authentication is on. Enter the 6-digit code from your authenticator app, or a recovery code.</p>
          <Field
            label="Authentication code"
            name="totp"
            value={totp}
            onChange={(event) => setTotp(event.target.value)}
            inputMode="numeric"
            autoComplete="one-time-code"
            autoFocus
            required
          />
        </>
      ) : (
        <>
          <Field label="Username or email" name="login" value={login} onChange={(event) => setLogin(event.target.value)} autoComplete="username" autoFocus required />
          <Field
            label="Password"
            name="password"
            type="password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            autoComplete="current-password"
            required
          />
        </>
      )}
      <ErrorNotice slot={errors} />
      <button className="button button-primary" type="submit" disabled={busy || errors.secondsLeft > 0}>
        {busy ? 'Signing in…' : needsCode ? 'Verify' : 'Sign in'}
      </button>
      {needsCode && (
        <button
          className="button button-quiet"
          type="button"
          onClick={() => {
            setNeedsCode(false);
            setTotp('');
            errors.clear();
          }}
        >
          Back
        </button>
      )}
    </form>
  );
}
