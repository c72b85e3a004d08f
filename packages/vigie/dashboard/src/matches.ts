import { html } from './html.js';
import { clock } from './format.js';
import { matches } from './state.js';
import type { MatchRow } from './types.js';

const DELIVERY: Record<string, string> = { pending: '⏳ queued', sent: '✔ sent', failed: '✖ failed' };

function delivery(n: MatchRow['notifications'][number]): string {
  return `${n.channel}: ${DELIVERY[n.status] ?? n.status}${n.status === 'failed' && n.lastError ? ` (${n.lastError})` : ''}`;
}

/** What a match's item shows: its title and price when the source gave them. */
interface ItemFields {
  title?: string;
  name?: string;
  id?: string | number;
  url?: string;
  price?: number | string | { amount: number | string; currency?: string };
}

function itemText(value: unknown): string {
  if (!value || typeof value !== 'object') return String(value ?? '');
  const item = value as ItemFields;
  const price = item.price === undefined ? '' : ` — ${typeof item.price === 'object' ? `${item.price.amount} ${item.price.currency ?? ''}` : item.price}`;
  return `${item.title ?? item.name ?? item.id ?? ''}${price}`;
}

/** The newest matches first, with where each notification stands. */
export function Matches() {
  const list = matches.value;
  return html`<section id="matches" aria-labelledby="matches-title">
    <h2 id="matches-title">Matches <span class="count">${list.length}</span></h2>
    ${list.length === 0
      ? html`<p class="empty">No match yet.</p>`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Matches"><table class="matches">
          <thead><tr><th scope="col">Found</th><th scope="col">Item</th><th scope="col">Alert</th><th scope="col">Notification</th></tr></thead>
          <tbody>${list.map((m) => html`<tr key=${m.id} data-match=${m.id}>
            <td>${clock(m.createdAt)}</td>
            <td>${item(m.item)}</td>
            <td>${m.alertName ?? html`<span class="sub">${m.alertId}</span>`}</td>
            <td>${m.notifications.length === 0 ? 'no notification target' : m.notifications.map((n) => html`<div>${delivery(n)}</div>`)}</td>
          </tr>`)}</tbody>
        </table></div>`}
  </section>`;
}

function item(value: unknown) {
  const text = itemText(value);
  const link = value && typeof value === 'object' ? (value as ItemFields).url : undefined;
  const url = typeof link === 'string' && /^https?:\/\//.test(link) ? link : null;
  return url ? html`<a href=${url} rel="noreferrer noopener" target="_blank">${text}</a>` : text;
}
