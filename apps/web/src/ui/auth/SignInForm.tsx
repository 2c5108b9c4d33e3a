import { type FormEvent, useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { toShownError } from '../../state/errors.js';
import { useStore } from '../../state/store.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';
import { ProviderButtons } from './ProviderButtons.js';

/**
 * Login and password; when the server answers TOTP_REQUIRED the same form
 * asks for the authenticator (or recovery) code and signs in again with it.
 * A provider sign-in that came back needing the code lands on that same
 * step, and one that failed shows why.
 */
export function SignInForm() {
  const session = useSession();
  const errors = useShownError();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const provider = useStore(session.providerSignIn, (value) => value);
  const providerCode = provider.status === 'needs-code' ? provider.code : null;
  const showProviderError = errors.show;

  useEffect(() => {
    if (provider.status === 'failed') showProviderError(provider.error);
  }, [provider, showProviderError]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      if (providerCode) await session.signInWithProviderCode(providerCode, totp.replace(/\s/g, ''));
      else await session.signIn({ login: login.trim(), password, totp: needsCode ? totp.replace(/\s/g, '') : undefined });
    } catch (error) {
      if (toShownError(error).code === 'TOTP_REQUIRED' && !needsCode) setNeedsCode(true);
      else errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-label="Sign in">
      {needsCode || providerCode ? (
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
        {busy ? 'Signing in…' : needsCode || providerCode ? 'Verify' : 'Sign in'}
      </button>
      {(needsCode || providerCode) && (
        <button
          className="button button-quiet"
          type="button"
          onClick={() => {
            setNeedsCode(false);
            setTotp('');
            session.providerSignIn.update(() => ({ status: 'none' }));
            errors.clear();
          }}
        >
          Back
        </button>
      )}
      {!needsCode && !providerCode && <ProviderButtons />}
    </form>
  );
}
