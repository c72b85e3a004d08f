import { html } from './html.js';
import { duration } from './format.js';
import { failovers, health, settings } from './state.js';

/** Which coordinator leads, its fencing number and lease, as the answering coordinator sees it. */
export function Leadership() {
  const h = health.value;
  if (!h) return html`<section id="leadership"><h2>Leadership</h2><p class="empty">Loading…</p></section>`;
  const l = h.leadership;
  return html`<section id="leadership" aria-labelledby="leadership-title">
    <h2 id="leadership-title">Leadership</h2>
    <dl class="facts">
      <dt>This coordinator</dt><dd>${l.role === 'leader' ? '★ leader' : 'follower'}</dd>
      <dt>Leader</dt><dd class="url">${l.holder ?? 'none elected'}</dd>
      <dt>Fencing number</dt><dd>${l.fencing ?? '—'}</dd>
      <dt>Lease left</dt><dd>${l.leaseLeftMs === null || l.leaseLeftMs === undefined ? '—' : duration(l.leaseLeftMs)}</dd>
      <dt>Store</dt><dd>${h.store.kind}, ${h.store.reachable ? '✔ reachable' : '✖ unreachable'}</dd>
      <dt>Lock</dt><dd>${h.lock.backend}, ${h.lock.reachable ? '✔ reachable' : '✖ unreachable'}</dd>
      <dt>Version</dt><dd>${h.version}, up ${duration(h.uptimeSeconds * 1000)}</dd>
    </dl>
  </section>`;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The effective settings, secrets masked by the coordinator. */
export function Config() {
  const s = settings.value;
  return html`<section id="config" aria-labelledby="config-title">
    <h2 id="config-title">Configuration</h2>
    ${!s
      ? html`<p class="empty">Loading…</p>`
      : html`<details><summary>Effective settings (secrets masked)</summary><div class="table-wrap"><table class="config">
          <tbody>${Object.entries(s).filter(([, v]) => v !== undefined).map(([k, v]) => html`<tr key=${k}><th scope="row">${k}</th><td>${show(v)}</td></tr>`)}</tbody>
        </table></div></details>`}
  </section>`;
}

/** The failover ladder's steps as they happen; "not configured" until it is. */
export function Failovers() {
  const list = failovers.value;
  const enabled = settings.value?.enableFailover === true;
  return html`<section id="failovers" aria-labelledby="failovers-title">
    <h2 id="failovers-title">Failovers</h2>
    ${list.length > 0
      ? html`<ul class="log">${list.map((f, i) => html`<li key=${i}>${f.workerId}: ${f.text}</li>`)}</ul>`
      : html`<p class="empty">${enabled ? 'No failover since this page opened.' : 'Not configured.'}</p>`}
  </section>`;
}

/** The standby coordinator's view; empty until the standby monitor exists. */
export function Standby() {
  return html`<section id="standby" aria-labelledby="standby-title"><h2 id="standby-title">Standby</h2><p class="empty">Not configured.</p></section>`;
}
