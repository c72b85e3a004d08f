/**
 * The other half of "never two active": a side (the primary, or the standby) asks the monitor
 * whether it may run its periodic jobs, and fails closed: no answer, a bad answer or another
 * side named is "no". A coordinator consults it before each scheduled cycle when
 * STANDBY_ACTIVE_URL is set (docs/standby.md says what this guarantees in each set-up).
 */

/** The monitor's verdict for this side; `reason` says why not. */
export interface GateVerdict {
  ok: boolean;
  reason?: string;
}

export interface ActiveGateOptions {
  /** The monitor's `GET /api/v1/standby/active` (STANDBY_ACTIVE_URL). */
  url: string;
  /** Which side this process is (STANDBY_SIDE). */
  side: 'primary' | 'standby';
  /** Bound of one question; default 2000 ms. */
  timeoutMs?: number;
}

/** Builds the question "may this side run now?", asked once per call. */
export function createActiveGate(opts: ActiveGateOptions): () => Promise<GateVerdict> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return async () => {
    let res: Response;
    try {
      res = await fetch(opts.url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.name ?? 'network error');
      return { ok: false, reason: `the standby monitor cannot be reached (${why}); failing closed` };
    }
    const body = (await res.json().catch(() => undefined)) as { active?: unknown } | undefined;
    if (!res.ok || typeof body?.active !== 'string') return { ok: false, reason: `the standby monitor answered HTTP ${res.status} without an active side; failing closed` };
    return body.active === opts.side ? { ok: true } : { ok: false, reason: `the standby monitor says the active side is ${body.active}, and this is the ${opts.side}` };
  };
}
