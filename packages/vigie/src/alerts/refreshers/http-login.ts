import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { registerSecret } from '../../observability/secrets.js';
import { HTTP_URL_MESSAGE, isHttpUrl } from '../../util/url.js';
import { cookiesFromSetCookie, httpCall } from '../sources/http-io.js';
import { UpstreamError } from '../sources/types.js';
import { RefreshError, type Refresher, type RefresherContext, type RefresherFactory } from './types.js';

const ENV_REF = /^\$ENV:([A-Za-z_][A-Za-z0-9_]*)$/;

/** An `http-login` refresher definition, as written in the config file's `refreshers`. */
export const httpLoginDefinitionSchema = z
  .object({
    type: z.literal('http-login'),
    url: z.string().refine(isHttpUrl, HTTP_URL_MESSAGE),
    /** Form fields; a value `"$ENV:NAME"` is read from the environment when the refresher runs. */
    fields: z.record(
      z.string().min(1),
      z.string().refine((v) => !v.startsWith('$ENV:') || ENV_REF.test(v), 'expected "$ENV:NAME" with NAME a valid environment variable name'),
    ),
    format: z.enum(['form', 'json']).default('form'),
    credentialName: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"; 1–64 characters').optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name'), z.string()).default({}),
    timeoutMs: z.int().min(100).max(600_000).default(30_000),
  })
  .strict();

export type HttpLoginDefinition = z.infer<typeof httpLoginDefinitionSchema>;

/** Builds `http-login` refreshers: POST a login form, keep the cookies it sets. */
export const httpLoginFactory: RefresherFactory = {
  type: 'http-login',
  create(name, definition, opts) {
    const parsed = httpLoginDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      throw new ConfigError(`Invalid refresher "${name}" (http-login): ${where}${issue.message}. See docs/sources.md.`);
    }
    return new HttpLoginRefresher(name, parsed.data, opts.dispatcher);
  },
};

/** Logs in with a configured form and answers the `Set-Cookie` pairs as one cookie header. */
export class HttpLoginRefresher implements Refresher {
  readonly credentialName: string | undefined;

  constructor(
    readonly name: string,
    private readonly def: HttpLoginDefinition,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.credentialName = def.credentialName;
  }

  /** POSTs the form (redirects not followed: a login's 302 carries its cookies) and joins the cookies set. */
  async refresh(ctx: RefresherContext): Promise<{ value: string }> {
    const env = ctx.env ?? process.env;
    const fields: Record<string, string> = {};
    for (const [key, raw] of Object.entries(this.def.fields)) {
      const ref = ENV_REF.exec(raw);
      if (!ref) {
        fields[key] = raw;
        continue;
      }
      const value = env[ref[1]!];
      if (value === undefined || value === '') {
        throw new RefreshError(`Refresher "${this.name}": field "${key}" reads environment variable ${ref[1]}, which is not set on this worker. Set it, then retry.`, 500);
      }
      registerSecret(value);
      fields[key] = value;
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.def.headers)) headers[k.toLowerCase()] = v;
    const json = this.def.format === 'json';
    headers['content-type'] = json ? 'application/json' : 'application/x-www-form-urlencoded';
    const body = json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
    const host = new URL(this.def.url).host;

    let answer;
    try {
      answer = await httpCall(this.def.url, {
        method: 'POST',
        headers,
        body,
        timeoutMs: this.def.timeoutMs,
        maxBytes: 64 * 1024,
        overflow: 'truncate',
        signal: ctx.signal,
        dispatcher: this.dispatcher,
        label: `Login at ${host}`,
      });
    } catch (err) {
      if (err instanceof UpstreamError) throw new RefreshError(`Refresher "${this.name}": ${err.message}`, err.httpStatus, { cause: err });
      throw err;
    }
    if (answer.status >= 400) {
      throw new RefreshError(`Refresher "${this.name}": login at ${host} answered HTTP ${answer.status}; check its url and fields (and the credentials they reference).`);
    }
    const value = cookiesFromSetCookie(answer.headers['set-cookie']);
    if (!value) {
      throw new RefreshError(`Refresher "${this.name}": login at ${host} answered HTTP ${answer.status} without any cookie; check its url and fields.`);
    }
    registerSecret(value);
    return { value };
  }
}
