// Pure formatting helpers: durations, ages, times. No DOM, no state.

/** "2 h 5 min", "4 min 12 s", "9 s", "120 ms" for a duration in ms; "—" for none. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function toMs(at: number | string | null | undefined): number {
  if (at === null || at === undefined) return NaN;
  return typeof at === 'string' ? Date.parse(at) : at;
}

/** "12 s ago" for a past time (ms since epoch or ISO string); "just now" under a second; "never" for none. */
export function ago(at: number | string | null | undefined, now: number): string {
  const t = toMs(at);
  if (!Number.isFinite(t)) return 'never';
  return now - t < 1000 ? 'just now' : `${duration(now - t)} ago`;
}

/** Local date and time, to the second. */
export function clock(at: number | string | null | undefined): string {
  const t = toMs(at);
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
