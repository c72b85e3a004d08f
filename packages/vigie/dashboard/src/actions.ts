// What the buttons do: one coordinator call each, the outcome written in the status line.
import { signal } from '@preact/signals';
import type { VigieClient } from '@vigie/client';
import { describeError } from './api.js';
import { client, loadFleet, loadMatches, loadRuns, problem } from './state.js';
import type { WorkerRow } from './types.js';

/** The last action's outcome, announced to screen readers (the status line is aria-live). */
export const notice = signal<string | null>(null);
/** Actions under way, by name, so their buttons show it and cannot be pressed twice. */
export const busy = signal<ReadonlySet<string>>(new Set());

async function act(name: string, label: string, run: (api: VigieClient) => Promise<unknown>, after?: () => Promise<void>): Promise<void> {
  if (busy.value.has(name)) return;
  busy.value = new Set([...busy.value, name]);
  notice.value = `${label}…`;
  try {
    await run(client());
    notice.value = `${label}: done.`;
    problem.value = null;
  } catch (err) {
    notice.value = null;
    problem.value = `${label} failed: ${describeError(err)}`;
  } finally {
    const next = new Set(busy.value);
    next.delete(name);
    busy.value = next;
    await after?.();
  }
}

const worker = (id: string) => `/api/v1/worker/main/workers/${encodeURIComponent(id)}`;

/** Runs an alert cycle now, on the leader (the answer comes when the cycle ends). */
export const runCycle = () =>
  act('cycle', 'Running a cycle', (api) => api.postJson('/api/v1/alerts/run-once', {}, { timeoutMs: 15 * 60_000 }), async () => {
    await Promise.all([loadRuns(), loadMatches(), loadFleet()]);
  });

/** Bans a worker for an hour (an operator's ban; unban lifts it). */
export const ban = (w: WorkerRow) =>
  act(`ban:${w.id}`, `Banning ${w.name}`, (api) => api.postJson(`${worker(w.id)}/ban`, { durationMs: 3_600_000, reason: 'banned from the dashboard' }), loadFleet);

export const unban = (w: WorkerRow) => act(`unban:${w.id}`, `Unbanning ${w.name}`, (api) => api.postJson(`${worker(w.id)}/unban`, {}), loadFleet);

/** Removes a worker from the fleet, after the operator confirms. */
export function remove(w: WorkerRow): Promise<void> | undefined {
  if (!confirm(`Remove worker ${w.name} (${w.url}) from the fleet?`)) return undefined;
  return act(`remove:${w.id}`, `Removing ${w.name}`, (api) => api.deleteJson(worker(w.id)), loadFleet);
}
