import { describeFetchError } from '../notify/http.js';

/** One health check's outcome; `reason` says why it failed (no URL in it: a URL may hold a token). */
export interface CheckResult {
  ok: boolean;
  /** When the check started (epoch ms). */
  at: number;
  latencyMs: number;
  /** The HTTP status, when there was an answer. */
  status?: number;
  reason?: string;
}

/**
 * GETs `url` once, bounded by `timeoutMs`: a 2xx is healthy; any other status, a timeout or a
 * network error (refused, reset, DNS) is a failure with its reason. Redirects are not followed:
 * a health URL that redirects is misconfigured, and following it could leave loopback.
 */
export async function checkHealth(url: string, timeoutMs: number, parent?: AbortSignal, clock: () => number = Date.now): Promise<CheckResult> {
  const at = clock();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  try {
    const res = await fetch(url, { method: 'GET', signal, redirect: 'manual', headers: { 'user-agent': 'vigie-standby/1' } });
    // Drain the body so the connection is reused (or released) at once.
    await res.arrayBuffer().catch(() => undefined);
    const latencyMs = clock() - at;
    if (res.status >= 200 && res.status < 300) return { ok: true, at, latencyMs, status: res.status };
    return { ok: false, at, latencyMs, status: res.status, reason: `HTTP ${res.status}` };
  } catch (err) {
    const latencyMs = clock() - at;
    if (timeout.aborted && !parent?.aborted) return { ok: false, at, latencyMs, reason: `timed out after ${timeoutMs} ms` };
    return { ok: false, at, latencyMs, reason: describeFetchError(err, signal) };
  }
}
