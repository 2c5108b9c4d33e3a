import { useState } from 'react';
import { SignInForm } from './SignInForm.js';
import { SignUpForm } from './SignUpForm.js';

/** The signed-out screen: one card, sign in or create an account. */
export function AuthScreen() {
  const [mode, setMode] = useState<'sign-in' | 'sign-up'>('sign-in');
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <h1>Kaif Lake</h1>
        </div>
        <p className="auth-tagline">Your messages, on your server.</p>
        <div className="segmented" role="tablist" aria-label="Account">
          <button type="button" role="tab" aria-selected={mode === 'sign-in'} onClick={() => setMode('sign-in')}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={mode === 'sign-up'} onClick={() => setMode('sign-up')}>
            Create account
          </button>
        </div>
        {mode === 'sign-in' ? <SignInForm /> : <SignUpForm />}
      </div>
    </main>
  );
}
