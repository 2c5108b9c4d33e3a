import { type FormEvent, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { TwoFactorSetup } from '../../state/types.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';

type Step = { readonly kind: 'idle' } | { readonly kind: 'scan'; readonly setup: TwoFactorSetup } | { readonly kind: 'codes'; readonly codes: readonly string[] } | { readonly kind: 'disable' };

/**
 * Enrolment in three steps — scan the QR code (or type the secret), confirm
 * with a code, keep the recovery codes — and switching it off with a code.
 */
export function TwoFactorSection({ enabled }: { readonly enabled: boolean }) {
  const session = useSession();
  const errors = useShownError();
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    errors.clear();
    try {
      await action();
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  const start = () => run(async () => setStep({ kind: 'scan', setup: await session.backend.setupTwoFactor() }));
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    return run(async () => {
      const codes = await session.backend.enableTwoFactor(code.replace(/\s/g, ''));
      setCode('');
      setStep({ kind: 'codes', codes });
    });
  };
  const disable = (event: FormEvent) => {
    event.preventDefault();
    return run(async () => {
      await session.backend.disableTwoFactor(code.replace(/\s/g, ''));
      setCode('');
      setStep({ kind: 'idle' });
      await session.reloadMe();
    });
  };

  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h3 id="two-factor-title">Two-factor authentication</h3>
      {step.kind === 'idle' && (
        <>
          <p className="card-lead">
            {enabled ? 'On. Signing in needs a code from your authenticator app.' : 'Off. Add a second step to signing in with an authenticator app.'}
            <span className={`status-pill ${enabled ? 'status-good' : 'status-muted'}`}>{enabled ? 'On' : 'Off'}</span>
          </p>
          {enabled ? (
            <button type="button" className="button" onClick={() => setStep({ kind: 'disable' })}>
              Turn off
            </button>
          ) : (
            <button type="button" className="button button-primary" onClick={() => void start()} disabled={busy}>
              Set up two-factor authentication
            </button>
          )}
        </>
      )}
      {step.kind === 'scan' && (
        <form className="form two-factor-setup" onSubmit={(event) => void confirm(event)}>
          <p className="card-lead">Scan this code with an authenticator app, or enter the secret by hand. Then type the 6-digit code it shows.</p>
          <div className="two-factor-scan">
            <img src={step.setup.qrCode} alt="QR code for your authenticator app" width={180} height={180} />
            <div>
              <span className="field-label">Secret</span>
              <code className="secret" data-testid="totp-secret">
                {step.setup.secret}
              </code>
            </div>
          </div>
          <Field label="Code from the app" name="code" value={code} onChange={(event) => setCode(event.target.value)} inputMode="numeric" autoComplete="one-time-code" required />
          <ErrorNotice slot={errors} />
          <div className="form-actions">
            <button type="button" className="button button-quiet" onClick={() => setStep({ kind: 'idle' })}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy || errors.secondsLeft > 0}>
              Turn on
            </button>
          </div>
        </form>
      )}
      {step.kind === 'codes' && (
        <div className="form">
          <p className="card-lead">Two-factor authentication is on. Keep these recovery codes somewhere safe: each signs you in once if you lose your phone.</p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {step.codes.map((recovery) => (
              <li key={recovery}>
                <code>{recovery}</code>
              </li>
            ))}
          </ul>
          <div className="form-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                navigator.clipboard?.writeText(step.codes.join('\n')).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
            >
              {copied ? 'Copied' : 'Copy codes'}
            </button>
            <button type="button" className="button button-primary" onClick={() => void session.reloadMe().then(() => setStep({ kind: 'idle' }))}>
              Done
            </button>
          </div>
        </div>
      )}
      {step.kind === 'disable' && (
        <form className="form" onSubmit={(event) => void disable(event)}>
          <p className="card-lead">Enter a code from your authenticator app (or a recovery code) to turn two-factor authentication off.</p>
          <Field label="Code" name="code" value={code} onChange={(event) => setCode(event.target.value)} autoComplete="one-time-code" required />
          <ErrorNotice slot={errors} />
          <div className="form-actions">
            <button type="button" className="button button-quiet" onClick={() => setStep({ kind: 'idle' })}>
              Cancel
            </button>
            <button type="submit" className="button button-danger" disabled={busy || errors.secondsLeft > 0}>
              Turn off
            </button>
          </div>
        </form>
      )}
      {step.kind === 'idle' && <ErrorNotice slot={errors} />}
    </section>
  );
}
