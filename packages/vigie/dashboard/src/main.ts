// The Vigie dashboard: log in with the API key, then the fleet, cycles, matches, leadership,
// configuration, failovers and standby, kept live by the coordinator's event feed.
import './style.css';
import { signal } from '@preact/signals';
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { notice } from './actions.js';
import { clearSession, connect, loadSession, saveSession } from './api.js';
import { Cycles } from './cycles.js';
import { Fleet } from './fleet.js';
import { html } from './html.js';
import { Login } from './login.js';
import { Matches } from './matches.js';
import { Config, Failovers, Leadership, Standby } from './side-panels.js';
import { feed, problem, start } from './state.js';
import type { Session } from './types.js';

const session = signal(loadSession());

const FEED: Record<string, string> = { open: '● Live', connecting: '○ Connecting…', retrying: '◌ Reconnecting…', stopped: '✖ Live feed stopped' };

function StatusBar() {
  const f = feed.value;
  return html`<div class="status" role="status" aria-live="polite">
    <span class=${`feed ${f.state}`} data-feed=${f.state}>${FEED[f.state] ?? f.state}${f.node ? ` — ${f.node}` : ''}${f.message ? ` (${f.message})` : ''}</span>
    ${notice.value ? html`<span class="notice">${notice.value}</span>` : null}
    ${problem.value ? html`<span class="error">${problem.value}</span>` : null}
  </div>`;
}

function Dashboard({ s }: { s: Session }) {
  useEffect(() => start(connect(s)), [s]);
  const logout = () => {
    clearSession();
    session.value = null;
  };
  return html`<a class="skip" href="#fleet">Skip to the fleet</a>
    <header>
      <h1>Vigie</h1>
      <nav aria-label="Panels"><a href="#fleet">Fleet</a><a href="#cycles">Cycles</a><a href="#matches">Matches</a><a href="#leadership">Leadership</a><a href="#config">Config</a></nav>
      <button onClick=${logout}>Log out</button>
    </header>
    <${StatusBar} />
    <main class="grid">
      <${Fleet} />
      <${Cycles} />
      <${Matches} />
      <div class="side"><${Leadership} /><${Failovers} /><${Standby} /><${Config} /></div>
    </main>`;
}

function App() {
  if (!session.value) {
    return html`<${Login} onLogin=${(s: Session) => {
      saveSession(s);
      session.value = s;
    }} />`;
  }
  return html`<${Dashboard} s=${session.value} />`;
}

const root = document.getElementById('app')!;
root.textContent = ''; // the boot message: rendering adds to what is there
render(html`<${App} />`, root);
