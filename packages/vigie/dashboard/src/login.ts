import { signal } from '@preact/signals';
import { html } from './html.js';
import { connect, describeError, parseNodes } from './api.js';
import type { Session } from './types.js';

const error = signal<string | null>(null);
const checking = signal(false);

/** Asks for the API key (and optionally more coordinators), checks it, then calls `onLogin`. */
export function Login({ onLogin }: { onLogin: (session: Session) => void }) {
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const session: Session = { key: String(form.get('key') ?? ''), nodes: parseNodes(String(form.get('nodes') ?? '')) };
    if (session.key === '') {
      error.value = 'Enter the API key (VIGIE_API_KEY).';
      return;
    }
    checking.value = true;
    const api = connect(session);
    try {
      // A read behind the key: a wrong key is told here, not by an empty dashboard.
      await api.getJson('/api/v1/config');
      error.value = null;
      onLogin(session);
    } catch (err) {
      error.value = describeError(err);
    } finally {
      checking.value = false;
      void api.close();
    }
  };
  return html`<main class="login">
    <h1>Vigie</h1>
    <form onSubmit=${submit} aria-describedby="login-error">
      <label for="key">API key</label>
      <input id="key" name="key" type="password" autocomplete="current-password" required autofocus />
      <label for="nodes">Coordinators <span class="sub">(optional: one URL per line; the live feed fails over between them)</span></label>
      <textarea id="nodes" name="nodes" rows="2" placeholder=${location.origin}></textarea>
      <button class="primary" type="submit" disabled=${checking.value}>${checking.value ? 'Checking…' : 'Log in'}</button>
      <p id="login-error" class="error" role="alert">${error.value ?? ''}</p>
    </form>
    <p class="sub">The key stays in this tab (sessionStorage) and is sent as <code>x-api-key</code>.</p>
  </main>`;
}
