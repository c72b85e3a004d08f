import { html } from './html.js';
import { busy, runCycle } from './actions.js';
import { CycleChart } from './chart.js';
import { clock, duration } from './format.js';
import { cycle, runs } from './state.js';
import type { RunRow } from './types.js';

const STATUS: Record<string, string> = { ok: '✔ ok', partial: '◐ partial', failed: '✖ failed', skipped: '↷ skipped', running: '… running', abandoned: '✖ abandoned' };

function Progress() {
  const c = cycle.value;
  if (!c) return html`<p class="empty" id="cycle-progress">No cycle seen since this page opened.</p>`;
  const answered = c.batchesOk + c.batchesFailed;
  const running = c.status === 'running';
  return html`<div id="cycle-progress" class="progress" data-status=${c.status} aria-live="polite">
    <p><strong>${running ? 'Cycle running' : `Last cycle: ${STATUS[c.status] ?? c.status}`}</strong> (${c.trigger}${c.durationMs !== null ? `, ${duration(c.durationMs)}` : ''})</p>
    ${c.alerts ? html`<progress max=${c.alerts} value=${c.alertsChecked} aria-label="alerts checked">${c.alertsChecked} of ${c.alerts}</progress>` : null}
    <ul class="facts">
      <li>${c.alertsChecked} of ${c.alerts ?? '?'} alerts checked</li>
      <li>${answered} batch${answered === 1 ? '' : 'es'} done (${c.batchesOk} ok, ${c.batchesFailed} failed)</li>
      <li>${c.redispatched} alert${c.redispatched === 1 ? '' : 's'} re-dispatched</li>
      <li>${c.matches} match${c.matches === 1 ? '' : 'es'}</li>
    </ul>
  </div>`;
}

function outcomes(r: RunRow): string {
  if (!r.workers?.length) return '—';
  return r.workers.map((w) => `${w.workerId} ${w.ok ? '✔' : '✖'} ${w.alertsChecked ?? 0}${w.error ? ` (${w.error})` : ''}`).join(', ');
}

/** The current cycle live, the history, and a chart of both. */
export function Cycles() {
  const list = runs.value;
  return html`<section id="cycles" aria-labelledby="cycles-title">
    <h2 id="cycles-title">Cycles</h2>
    <p><button class="primary" onClick=${runCycle} disabled=${busy.value.has('cycle')}>${busy.value.has('cycle') ? 'Cycle running…' : 'Run a cycle now'}</button></p>
    <${Progress} />
    ${list.length === 0
      ? html`<p class="empty">No cycle has run yet.</p>`
      : html`<${CycleChart} runs=${list} />
        <div class="table-wrap" tabindex="0" role="region" aria-label="Cycle history"><table class="runs">
          <caption>Last ${list.length} cycles, newest first</caption>
          <thead><tr><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Alerts</th><th scope="col">Matches</th><th scope="col">Errors</th><th scope="col">Per worker</th></tr></thead>
          <tbody>${list.map((r) => html`<tr key=${r.id} data-run=${r.id}>
            <td>${clock(r.startedAt)}</td><td>${r.trigger}</td><td>${STATUS[r.status] ?? r.status}</td>
            <td>${r.endedAt ? duration(r.endedAt - r.startedAt) : '…'}</td>
            <td>${r.alertsChecked} / ${r.alertsTotal}</td><td>${r.matches}</td><td>${r.errors}</td><td>${outcomes(r)}</td>
          </tr>`)}</tbody>
        </table></div>`}
  </section>`;
}
