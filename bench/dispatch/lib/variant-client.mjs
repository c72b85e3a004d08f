// A stand-in for Vigie's WorkerClient.execute with parts of it swapped for cheaper ones, for
// coordinator-variant.mjs and client-micro.mjs. Same result and failure shapes as Vigie's.
//   signal  undici's headersTimeout/bodyTimeout instead of AbortSignal.timeout (+ any) per call
//   read    res.body.text() (size cap: the dispatcher's maxResponseSize) instead of for-await
//   pool    one undici Pool per worker origin and a path string, instead of
//           request(new URL(path, base), { dispatcher: agent })
import { Agent, Pool, request } from 'undici';

const MAX = 32 * 1024 * 1024;

/** An `execute(baseUrl, command, timeoutMs, signal)` method (uses `this.opts.apiKey`). */
export function makeExecute(parts) {
  const noSignal = parts.has('signal');
  const plainRead = parts.has('read');
  const perPool = parts.has('pool');
  const pools = new Map();
  let agent;
  return async function execute(baseUrl, command, timeoutMs, signal) {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 10) / 10;
    const headers = { 'content-type': 'application/json', 'x-vigie-deadline-ms': String(Math.max(100, timeoutMs - 250)) };
    if (this.opts.apiKey) headers['x-api-key'] = this.opts.apiKey;
    // signal: undici's own timers (headersTimeout/bodyTimeout) instead of AbortSignal.timeout + any.
    const timeout = noSignal ? undefined : AbortSignal.timeout(timeoutMs);
    const combined = noSignal ? signal : signal ? AbortSignal.any([signal, timeout]) : timeout;
    const timeouts = noSignal ? { headersTimeout: timeoutMs, bodyTimeout: timeoutMs } : {};
    try {
      let res;
      const init = { method: 'POST', headers, body: JSON.stringify(command), ...(combined ? { signal: combined } : {}), ...timeouts };
      if (perPool) {
        // pool: one undici Pool per worker origin, a path string (no Agent lookup, no new URL).
        let pool = pools.get(baseUrl);
        if (!pool) pools.set(baseUrl, (pool = new Pool(baseUrl, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000, maxResponseSize: MAX })));
        res = await pool.request({ path: '/api/v1/worker/execute', ...init });
      } else {
        agent ??= new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1, maxResponseSize: MAX });
        res = await request(new URL('/api/v1/worker/execute', baseUrl), { ...init, dispatcher: agent });
      }
      // read: body.text() (the size cap is the dispatcher's maxResponseSize) instead of for-await chunks.
      let text;
      if (plainRead) text = await res.body.text();
      else {
        const chunks = [];
        for await (const c of res.body) chunks.push(c);
        text = Buffer.concat(chunks).toString('utf8');
      }
      let body;
      try { body = JSON.parse(text); } catch {}
      const isObj = typeof body === 'object' && body !== null && !Array.isArray(body);
      if (res.statusCode >= 200 && res.statusCode < 300 && isObj && body.success !== false) {
        return { ok: true, status: res.statusCode, data: 'data' in body ? body.data : body, latencyMs: latency() };
      }
      const error = isObj && typeof body.error === 'string' ? body.error : undefined;
      const message = isObj && typeof body.message === 'string' ? body.message : (error ?? `HTTP ${res.statusCode}`);
      const status = res.statusCode >= 200 && res.statusCode < 300 ? 502 : res.statusCode;
      return { ok: false, failure: { kind: 'http', status, ...(error ? { error } : {}) }, status, body, message, latencyMs: latency() };
    } catch (err) {
      const code = err?.code ?? err?.cause?.code;
      if (timeout?.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        return { ok: false, failure: { kind: 'timeout' }, message: `no answer within ${timeoutMs} ms`, latencyMs: latency() };
      }
      return { ok: false, failure: { kind: 'network', ...(code ? { code } : {}) }, message: code ? `${code}: ${err.message}` : String(err?.message ?? err), latencyMs: latency() };
    }
  };
}
