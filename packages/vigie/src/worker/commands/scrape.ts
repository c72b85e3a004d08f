import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { httpCall } from '../../alerts/sources/http-io.js';
import { VigieError } from '../../errors.js';
import { requireScrapingCredential } from './credential.js';
import type { CommandHandler } from './types.js';

export interface ScrapeDeps {
  /** SCRAPE_ALLOWED_HOSTS: exact hosts (`example.com`, `127.0.0.1:8090`) or wildcards (`*.example.com`). */
  allowedHosts: readonly string[];
  /** Bound of the whole fetch (default 30000). */
  timeoutMs?: number;
  /** Most body bytes answered (default 1 MiB); more is cut and `truncated` is true. */
  maxBytes?: number;
  /** undici dispatcher (e.g. an Agent bound to this worker's source address). */
  dispatcher?: Dispatcher;
}

/** What a scrape answers: the upstream's status, headers and body, as they came (redirects not followed). */
export interface ScrapeResult {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

/** Headers a caller may not set: they would change the framing or the target of the request. */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'keep-alive', 'te', 'trailer', 'expect', 'proxy-authorization']);

const payloadSchema = z
  .object({
    url: z.string({ error: 'url is required' }).min(1, 'url is required'),
    credential: z.boolean().default(false),
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), z.string()).default({}),
  })
  .strict();

/** True when `url`'s host is one of `allowed` (exact host or host:port, or a `*.domain` wildcard for its subdomains). */
export function isHostAllowed(url: URL, allowed: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const host = url.host.toLowerCase();
  return allowed.some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry.startsWith('*.')) {
      const domain = entry.slice(1); // ".example.com"
      return hostname.endsWith(domain) && hostname.length > domain.length;
    }
    return entry === hostname || entry === host;
  });
}

/**
 * `scrape`: one GET from this worker to an allowed host, answered as it came. Only hosts in
 * SCRAPE_ALLOWED_HOSTS are fetched, and redirects are not followed (a redirect could point
 * anywhere), so a leaked API key cannot turn the fleet into an open proxy. The scraping
 * credential is sent as `Cookie` only when the payload asks for it.
 */
export function createScrapeHandler(deps: ScrapeDeps): CommandHandler {
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const maxBytes = deps.maxBytes ?? 1024 * 1024;

  return async (payload, ctx): Promise<ScrapeResult> => {
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const msg = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${issue.path.length ? `payload.${issue.path.join('.')}: ` : 'payload: '}${issue.message}`;
      throw new VigieError('INVALID_COMMAND', `Invalid scrape command: ${msg}. Expected { "url": "https://…", "credential": false, "headers": {} }.`, 400);
    }
    const { credential, headers: given } = parsed.data;
    let url: URL;
    try {
      url = new URL(parsed.data.url);
    } catch {
      throw new VigieError('INVALID_COMMAND', 'Invalid scrape command: payload.url is not an absolute URL.', 400);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new VigieError('INVALID_COMMAND', `Invalid scrape command: payload.url must be http or https, not ${url.protocol.replace(':', '')}.`, 400);
    }
    if (url.username || url.password) {
      throw new VigieError('INVALID_COMMAND', 'Invalid scrape command: payload.url must not carry a user or password.', 400);
    }
    if (!isHostAllowed(url, deps.allowedHosts)) {
      const why = deps.allowedHosts.length === 0 ? 'SCRAPE_ALLOWED_HOSTS is empty, so every host is refused' : `it is not in SCRAPE_ALLOWED_HOSTS (${deps.allowedHosts.join(', ')})`;
      throw new VigieError('HOST_NOT_ALLOWED', `Host "${url.host}" may not be scraped: ${why}. Add it to SCRAPE_ALLOWED_HOSTS on the workers to allow it.`, 400);
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(given)) {
      const name = k.toLowerCase();
      if (FORBIDDEN_HEADERS.has(name)) throw new VigieError('INVALID_COMMAND', `Invalid scrape command: payload.headers.${k} may not be set.`, 400);
      headers[name] = v;
    }
    if (credential) {
      if (headers.cookie !== undefined) throw new VigieError('INVALID_COMMAND', 'Invalid scrape command: payload.headers.cookie conflicts with "credential": true; send one or the other.', 400);
      headers.cookie = await requireScrapingCredential(ctx);
    }

    const answer = await httpCall(url.toString(), {
      method: 'GET',
      headers,
      timeoutMs,
      maxBytes,
      overflow: 'truncate',
      signal: ctx.signal,
      dispatcher: deps.dispatcher,
      label: `Host ${url.host}`,
    });
    ctx.logger.info({ host: url.host, status: answer.status, bytes: answer.body.length, truncated: answer.truncated, credential }, 'scrape done');
    return { url: url.toString(), status: answer.status, headers: flattenHeaders(answer.headers), body: answer.body.toString('utf8'), truncated: answer.truncated };
  };
}

/** Headers as single strings; `Set-Cookie` values are masked (a session the upstream hands out is a secret too). */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (k === 'set-cookie') {
      const lines = Array.isArray(v) ? v : [v];
      out[k] = lines.map((l) => `${l.split('=', 1)[0]!.trim()}=****`).join(', ');
      continue;
    }
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
