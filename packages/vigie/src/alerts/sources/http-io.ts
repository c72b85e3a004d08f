import { request, type Dispatcher } from 'undici';
import { UpstreamError } from './types.js';

/** One outbound HTTP call, bounded in time and size. */
export interface HttpCallOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Bound of the whole exchange (connect, headers, body). */
  timeoutMs: number;
  /** Most body bytes read. */
  maxBytes: number;
  /** `fail`: a larger body is an UPSTREAM_ERROR; `truncate`: keep the first maxBytes and say so. */
  overflow: 'fail' | 'truncate';
  signal: AbortSignal;
  dispatcher?: Dispatcher | undefined;
  /** Who is calling, for messages: `Source "market"`, `scrape of example.com`. */
  label: string;
}

/** What came back. Redirects are never followed: a 3xx is an answer like any other. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  truncated: boolean;
}

/**
 * Sends one request with undici. A timeout becomes UPSTREAM_TIMEOUT, a network failure or an
 * oversized body UPSTREAM_ERROR; an abort of `signal` (the command was abandoned) rethrows the
 * signal's reason, so callers stop instead of recording an upstream failure.
 */
export async function httpCall(url: string, opts: HttpCallOptions): Promise<HttpAnswer> {
  opts.signal.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, opts.timeoutMs);
  const onAbort = () => controller.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await request(url, {
      method: opts.method,
      headers: opts.headers,
      body: opts.body,
      signal: controller.signal,
      // The overall timer above is the real bound; these only stop undici's longer defaults.
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      ...(opts.dispatcher && { dispatcher: opts.dispatcher }),
    });
    // Destroying an undici body before its end emits an abort error; nobody needs to hear it.
    res.body.on('error', () => undefined);
    const declared = Number(res.headers['content-length']);
    if (opts.overflow === 'fail' && Number.isFinite(declared) && declared > opts.maxBytes) {
      res.body.destroy();
      throw tooLarge(opts);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size + chunk.length > opts.maxBytes) {
        if (opts.overflow === 'fail') throw tooLarge(opts);
        chunks.push(chunk.subarray(0, opts.maxBytes - size));
        size = opts.maxBytes;
        truncated = true;
        break; // leaving the loop destroys the body: the rest is never downloaded
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, size), truncated };
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason ?? err;
    if (err instanceof UpstreamError) throw err;
    if (timedOut) {
      throw new UpstreamError('UPSTREAM_TIMEOUT', `${opts.label} did not answer within ${opts.timeoutMs} ms.`, { cause: err });
    }
    throw new UpstreamError('UPSTREAM_ERROR', `${opts.label} could not be reached: ${describe(err)}.`, { cause: err });
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  }
}

function tooLarge(opts: HttpCallOptions): UpstreamError {
  return new UpstreamError('UPSTREAM_ERROR', `${opts.label} answered more than ${opts.maxBytes} bytes; raise its maxResponseBytes if the answer is legitimate.`);
}

/** A network error's code and message, without anything the request carried. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/**
 * The `name=value` pairs of `Set-Cookie` headers, joined as a `Cookie` header. A later line for
 * the same name wins; a line that deletes its cookie (empty value, `Max-Age` ≤ 0, `Expires` in
 * the past) removes it, as a browser would.
 */
export function cookiesFromSetCookie(setCookie: string | string[] | undefined, now = Date.now()): string {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const jar = new Map<string, string>();
  for (const line of list) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || deletes(attributes, now)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function deletes(attributes: string[], now: number): boolean {
  for (const a of attributes) {
    const [key = '', ...rest] = a.split('=');
    const k = key.trim().toLowerCase();
    const v = rest.join('=').trim();
    if (k === 'max-age' && /^-?\d+$/.test(v) && Number(v) <= 0) return true;
    if (k === 'expires') {
      const at = Date.parse(v);
      if (!Number.isNaN(at) && at <= now) return true;
    }
  }
  return false;
}
