import { ban, busy, remove, unban } from './actions.js';
import { ago, duration } from './format.js';
import { html } from './html.js';
import { now, workers } from './state.js';
import type { WorkerRow } from './types.js';

/** A worker's state in words (with a symbol), never by colour alone. */
function stateOf(w: WorkerRow, t: number): { cls: 'ok' | 'bad' | 'banned'; text: string } {
  if (w.isBanned && w.bannedUntil !== null) {
    const left = Date.parse(w.bannedUntil) - t;
    return { cls: 'banned', text: `⛔ Banned, ${duration(Math.max(0, left))} left${w.banReason ? ` (${w.banReason})` : ''}` };
  }
  if (!w.isHealthy) return { cls: 'bad', text: `✖ Unhealthy${w.lastError ? `: ${w.lastError}` : ''}` };
  return { cls: 'ok', text: '✔ Healthy' };
}

/** A latency for people: "12 ms", "1.3 s", or "–" before the first command. */
function ms(value: number | null): string {
  if (value === null) return '–';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function Row({ w, t }: { w: WorkerRow; t: number }) {
  const s = stateOf(w, t);
  const pending = (name: string) => busy.value.has(`${name}:${w.id}`);
  return html`<tr data-worker=${w.id}>
    <th scope="row">${w.name}<div class="sub">${w.id}</div></th>
    <td>${w.region}</td>
    <td class="url">${w.url}</td>
    <td class=${`state ${s.cls}`} data-state=${s.cls}>${s.text}</td>
    <td>${w.successRate}%<div class="sub">${w.requestCount} requests</div></td>
    <td class="latency">${ms(w.latencyP50Ms)} / ${ms(w.latencyP95Ms)}<div class="sub">${w.inFlight} in flight</div></td>
    <td>${ago(w.lastSeenAt, t)}</td>
    <td class="actions">
      ${w.isBanned
        ? html`<button onClick=${() => unban(w)} disabled=${pending('unban')}>Unban</button>`
        : html`<button onClick=${() => ban(w)} disabled=${pending('ban')}>Ban 1 h</button>`}
      <button class="danger" onClick=${() => remove(w)} disabled=${pending('remove')}>Remove</button>
    </td>
  </tr>`;
}

/** One row per worker: identity, state, success rate, latency and in flight, last seen, and what an operator does. */
export function Fleet() {
  const list = workers.value;
  const t = now.value;
  const available = list.filter((w) => w.isHealthy && !w.isBanned).length;
  return html`<section id="fleet" aria-labelledby="fleet-title">
    <h2 id="fleet-title">Fleet <span class="count">${available} of ${list.length} available</span></h2>
    ${list.length === 0
      ? html`<p class="empty">No worker registered. Add one with <code>vigie workers add</code>.</p>`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Fleet"><table class="fleet">
          <thead><tr><th scope="col">Worker</th><th scope="col">Region</th><th scope="col">URL</th><th scope="col">State</th><th scope="col">Success</th><th scope="col">Latency p50 / p95</th><th scope="col">Last seen</th><th scope="col">Actions</th></tr></thead>
          <tbody>${list.map((w) => html`<${Row} key=${w.id} w=${w} t=${t} />`)}</tbody>
        </table></div>`}
  </section>`;
}
