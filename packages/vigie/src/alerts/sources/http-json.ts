import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { Alert } from '../../store/index.js';
import type { Item } from '../../wire/check-alerts.js';
import { parseRetryAfter } from '@vigie/client';
import { httpCall } from './http-io.js';
import { UpstreamError, type Source, type SourceContext, type SourceFactory } from './types.js';

/** Alert fields a URL or body template may use, as `{query}`. */
export const PLACEHOLDERS = ['query', 'priceMin', 'priceMax', 'source', 'name'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const ITEM_FIELDS = ['id', 'title', 'price', 'currency', 'url', 'condition', 'brand', 'photo'] as const;
type ItemField = (typeof ITEM_FIELDS)[number];

const path = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'expected a dot path such as "price.amount"');
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name');

function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

const templateMessage = (bad: string[]) => `unknown placeholder(s) ${bad.map((p) => `{${p}}`).join(', ')}; known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;

/** An `http-json` source definition, as written in the config file's `sources`. */
export const httpJsonDefinitionSchema = z
  .object({
    type: z.literal('http-json'),
    url: z.string().superRefine((url, ctx) => {
      const bad = unknownPlaceholders(url);
      if (bad.length) return void ctx.addIssue({ code: 'custom', message: templateMessage(bad) });
      const sample = url.replace(PLACEHOLDER, 'x');
      if (!URL.canParse(sample) || !/^https?:$/.test(new URL(sample).protocol)) {
        ctx.addIssue({ code: 'custom', message: 'expected an http or https URL template, e.g. "https://api.example.com/items?q={query}"' });
      }
    }),
    method: z.enum(['GET', 'POST']).default('GET'),
    headers: z.record(headerName, z.string()).default({}),
    /** POST only: a JSON body template; a string that is exactly one placeholder takes the raw value (a number, null). */
    body: z
      .unknown()
      .optional()
      .superRefine((body, ctx) => {
        const bad = stringsOf(body).flatMap(unknownPlaceholders);
        if (bad.length) ctx.addIssue({ code: 'custom', message: templateMessage(bad) });
      }),
    credential: z
      .discriminatedUnion('as', [
        z.object({ as: z.literal('cookie') }).strict(),
        z.object({ as: z.literal('bearer') }).strict(),
        z.object({ as: z.literal('header'), name: headerName }).strict(),
        z.object({ as: z.literal('none') }).strict(),
      ])
      .default({ as: 'cookie' }),
    /** Dot path to the array of items in the answer; empty when the answer is the array itself. */
    itemsPath: z.union([z.literal(''), path]).default(''),
    /** Dot path of each item field in an entry; a field left out is read from its own name. */
    fields: z.object(Object.fromEntries(ITEM_FIELDS.map((f) => [f, path.optional()])) as Record<ItemField, z.ZodOptional<typeof path>>).strict().default({}),
    timeoutMs: z.int().min(100).max(600_000).default(15_000),
    maxResponseBytes: z.int().min(1024).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
  })
  .strict()
  .refine((d) => d.body === undefined || d.method === 'POST', { message: 'a body needs "method": "POST"', path: ['body'] });

export type HttpJsonDefinition = z.infer<typeof httpJsonDefinitionSchema>;

/** Builds `http-json` sources: one HTTP request per alert, items read from the JSON answer by dot paths. */
export const httpJsonFactory: SourceFactory = {
  type: 'http-json',
  create(name, definition, opts) {
    const parsed = httpJsonDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ConfigError(`Invalid source "${name}" (http-json): ${where}${issue.message}. See docs/sources.md for the fields.`);
    }
    return new HttpJsonSource(name, parsed.data, opts.dispatcher);
  },
};

/** The generic HTTP/JSON adapter. */
export class HttpJsonSource implements Source {
  private readonly fields: Record<ItemField, string>;

  constructor(
    readonly name: string,
    private readonly def: HttpJsonDefinition,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.fields = Object.fromEntries(ITEM_FIELDS.map((f) => [f, def.fields[f] ?? f])) as Record<ItemField, string>;
  }

  /** Queries the source for `alert`; 401/403, 429, 5xx, bad JSON and timeouts become UpstreamErrors. */
  async search(alert: Alert, ctx: SourceContext): Promise<Item[]> {
    const url = renderUrl(this.def.url, alert);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.def.headers)) headers[k.toLowerCase()] = v;
    const cred = this.def.credential;
    if (cred.as === 'cookie') headers.cookie = ctx.credential;
    else if (cred.as === 'bearer') headers.authorization = `Bearer ${ctx.credential}`;
    else if (cred.as === 'header') headers[cred.name.toLowerCase()] = ctx.credential;
    let body: string | undefined;
    if (this.def.body !== undefined) {
      body = JSON.stringify(renderBody(this.def.body, alert));
      headers['content-type'] ??= 'application/json';
    }
    const label = `Source "${this.name}"`;
    const answer = await httpCall(url, {
      method: this.def.method,
      headers,
      ...(body !== undefined && { body }),
      timeoutMs: Math.min(this.def.timeoutMs, ctx.timeoutMs),
      maxBytes: this.def.maxResponseBytes,
      overflow: 'fail',
      signal: ctx.signal,
      dispatcher: this.dispatcher,
      label,
    });

    const { status } = answer;
    if (status === 401 || status === 403) {
      throw new UpstreamError('UPSTREAM_FORBIDDEN', `${label} refused the request (HTTP ${status}): its credential may have expired or this worker's address is blocked. Refresh the credential (generate-cookies) if every worker gets this.`, { status });
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], Date.now());
      const wait = retryAfterMs === undefined ? '' : ` and asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
      throw new UpstreamError('UPSTREAM_RATE_LIMITED', `${label} is rate limiting (HTTP 429)${wait}; raise REQUEST_DELAY_MIN_MS/REQUEST_DELAY_MAX_MS if this persists.`, {
        status,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      });
    }
    if (status < 200 || status > 299) {
      throw new UpstreamError('UPSTREAM_ERROR', `${label} answered HTTP ${status}${status >= 500 ? '' : '; check its url in the config'}.`, { status });
    }

    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      const type = String(answer.headers['content-type'] ?? 'no content-type');
      throw new UpstreamError('UPSTREAM_ERROR', `${label} answered HTTP ${status} with a body that is not JSON (${type}).`, { status });
    }
    const entries = this.def.itemsPath === '' ? json : getPath(json, this.def.itemsPath);
    if (!Array.isArray(entries)) {
      const what = this.def.itemsPath === '' ? 'is not an array' : `has no array at "${this.def.itemsPath}"`;
      throw new UpstreamError('UPSTREAM_ERROR', `${label}'s answer ${what}; check itemsPath in its config.`, { status });
    }
    const items: Item[] = [];
    for (const entry of entries) {
      const item = this.toItem(entry, url);
      if (item) items.push(item);
    }
    return items;
  }

  /** One answer entry as an Item, or null when it has no usable id or title. */
  private toItem(entry: unknown, base: string): Item | null {
    if (!entry || typeof entry !== 'object') return null;
    const f = this.fields;
    const rawId = getPath(entry, f.id);
    const id = typeof rawId === 'string' ? rawId.trim() : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : '';
    const rawTitle = getPath(entry, f.title);
    const title = typeof rawTitle === 'string' ? rawTitle.trim() : '';
    if (!id || !title) return null;
    return {
      id,
      title,
      price: parsePrice(getPath(entry, f.price)),
      currency: text(getPath(entry, f.currency)),
      url: link(getPath(entry, f.url), base),
      condition: text(getPath(entry, f.condition)),
      brand: text(getPath(entry, f.brand)),
      photo: link(getPath(entry, f.photo), base),
    };
  }
}

/** The value at a dot path (`data.items`, `photos.0.url`), or undefined. */
export function getPath(value: unknown, dotPath: string): unknown {
  let cur: unknown = value;
  for (const key of dotPath.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A price from a number or a numeric string ("12.5", "12,50"); anything else is null. */
export function parsePrice(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (!/^-?\d+([.,]\d+)?$/.test(s)) return null;
  return Number(s.replace(',', '.'));
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const s = value.trim();
  return s === '' ? null : s;
}

/** An http(s) link, resolved against the request URL when relative; other schemes (javascript:…) are dropped. */
function link(value: unknown, base: string): string | null {
  const s = text(value);
  if (s === null) return null;
  try {
    const u = new URL(s, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

function placeholderValue(alert: Alert, key: Placeholder): string | number | null {
  return alert[key];
}

/** The URL template with each `{field}` replaced by the alert's value, URI-encoded (null → empty). */
export function renderUrl(template: string, alert: Alert): string {
  return template.replace(PLACEHOLDER, (_, key: string) => {
    const v = placeholderValue(alert, key as Placeholder);
    return v === null || v === undefined ? '' : encodeURIComponent(String(v));
  });
}

/** The body template with placeholders filled; `"{priceMax}"` alone keeps the value's JSON type. */
export function renderBody(template: unknown, alert: Alert): unknown {
  if (typeof template === 'string') {
    const whole = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(template);
    if (whole) return placeholderValue(alert, whole[1] as Placeholder) ?? null;
    return template.replace(PLACEHOLDER, (_, key: string) => String(placeholderValue(alert, key as Placeholder) ?? ''));
  }
  if (Array.isArray(template)) return template.map((t) => renderBody(t, alert));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderBody(v, alert)]));
  }
  return template;
}
