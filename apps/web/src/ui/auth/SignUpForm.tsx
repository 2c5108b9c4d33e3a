import { type FormEvent, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Field } from '../common/Field.js';
import { useShownError } from '../common/use-shown-error.js';

export function SignUpForm() {
  const session = useSession();
  const errors = useShownError();
  const [form, setForm] = useState({ displayName: '', username: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await session.signUp({
        username: form.username.trim(),
        email: form.email.trim(),
        password: form.password,
        displayName: form.displayName.trim() || undefined,
      });
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-label="Create account">
      <Field label="Name" name="displayName" value={form.displayName} onChange={set('displayName')} autoComplete="name" autoFocus />
      <Field
        label="Username"
        name="username"
        value={form.username}
        onChange={set('username')}
        autoComplete="username"
        hint="Starts with a letter; letters, digits and _."
        pattern="[a-zA-Z][a-zA-Z0-9_]{2,31}"
        required
      />
      <Field label="Email" name="email" type="email" value={form.email} onChange={set('email')} autoComplete="email" required />
      <Field
        label="Password"
        name="password"
        type="password"
        value={form.password}
        onChange={set('password')}
        autoComplete="new-password"
        hint="At least 10 characters."
        minLength={10}
        required
      />
      <ErrorNotice slot={errors} />
      <button className="button button-primary" type="submit" disabled={busy || errors.secondsLeft > 0}>
        {busy ? 'Creating account…' : 'Create account'}
      </button>
    </form>
  );
}
