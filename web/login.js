// login.js - the sign-in page.
import { useState } from './hooks.module.js';
import { html } from './util.js';
import { api } from './api.js';

export function Login({ notice, onLogin }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await api('POST', '/api/v1/auth/login', { email, password }, { quiet401: true });
      onLogin(r.user);
    } catch (err) {
      setError(err.status === 401 ? 'The e-mail or the password is not right.' : err.message);
      setBusy(false);
    }
  };

  return html`
    <main class="login">
      <form class="login-card" onSubmit=${submit} aria-labelledby="login-title">
        <h1 id="login-title"><img src="/assets/icon.svg" alt="" width="28" height="28" /> Parley</h1>
        <p class="muted">Sign in to the care desk.</p>
        ${notice && html`<p class="notice" role="status">${notice}</p>`}
        <label for="login-email">E-mail</label>
        <input id="login-email" name="email" type="email" autocomplete="username" required
          value=${email} onInput=${(e) => setEmail(e.target.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password"
          required value=${password} onInput=${(e) => setPassword(e.target.value)} />
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>`;
}
