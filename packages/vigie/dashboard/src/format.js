// Pure formatting helpers: durations, ages, times. No DOM, no state.

/** "2 h 5 min", "4 min 12 s", "9 s" for a duration in ms. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** "12 s ago" for a past time (ms since epoch or ISO string). */
export function ago(at, now) {
  const t = typeof at === 'string' ? Date.parse(at) : at;
  if (t === null || t === undefined || !Number.isFinite(t)) return 'never';
  return `${duration(Math.max(0, now - t))} ago`;
}

/** Local date and time, to the second. */
export function clock(at) {
  const t = typeof at === 'string' ? Date.parse(at) : at;
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
