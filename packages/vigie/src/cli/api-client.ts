import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VigieConfig } from '../config/load.js';
import { ForeignError, isErrorCode, VigieError } from '../errors.js';
import { routesToCommands } from './route-hints.js';

/** The key the CLI sends and where it came from (said in a 401, never the value). */
interface KeyChoice {
  key: string | undefined;
  /** For messages: "VIGIE_API_KEY (environment)", "the file /x/.vigie/api-key", … */
  source: string;
}

/** VIGIE_API_KEY (environment or config file) first, else the key `vigie up` keeps in the data folder. */
export function chooseApiKey(config: VigieConfig): KeyChoice {
  if (config.apiKey && config.apiKey.length > 0) {
    const origin = config.origins?.apiKey;
    const source = origin === 'file' ? `apiKey in ${config.configFile}` : 'VIGIE_API_KEY (environment)';
    return { key: config.apiKey[0], source };
  }
  const file = keyFile(config);
  const key = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return key ? { key, source: `the file ${file}` } : { key: undefined, source: `no key (VIGIE_API_KEY is not set and ${file} does not exist)` };
}

/** Where `vigie up` keeps the key it generated for the data folder of `config`. */
function keyFile(config: VigieConfig): string {
  return resolve(join(config.dataDir, 'api-key'));
}

/**
 * The CLI's view of a running coordinator: its URL (VIGIE_URL, default 127.0.0.1:8080) and
 * the API key (VIGIE_API_KEY, else the key `vigie up` keeps in the data folder).
 */
export class CoordinatorApi {
  private readonly key: KeyChoice;

  constructor(private readonly config: VigieConfig) {
    this.key = chooseApiKey(config);
  }

  /** Calls the coordinator and returns the parsed JSON answer; an error answer becomes a VigieError. */
  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, body === undefined ? undefined : { text: JSON.stringify(body), contentType: 'application/json' });
  }

  /** Like `call`, with a body sent as it is (e.g. an NDJSON file). */
  async send<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: { text: string; contentType: string }): Promise<T> {
    const url = new URL(path, this.config.coordinatorUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': body.contentType } : {}), ...(this.key.key ? { 'x-api-key': this.key.key } : {}) },
        ...(body !== undefined ? { body: body.text } : {}),
        signal: AbortSignal.timeout(method === 'POST' && path.includes('run-once') ? 30 * 60_000 : 30_000),
      });
    } catch (err) {
      throw new VigieError('COORDINATOR_UNREACHABLE', `Cannot reach the coordinator at ${this.config.coordinatorUrl} (${(err as Error).message}). Is it running? Set VIGIE_URL if it listens elsewhere.`, 503);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new VigieError('BAD_ANSWER', `The coordinator answered ${res.status} with a body that is not JSON.`, 502);
    }
    if (res.status === 401) throw this.unauthorized();
    if (!res.ok) {
      const j = json as { error?: string; message?: string };
      const message = routesToCommands(j.message ?? `HTTP ${res.status}`);
      throw isErrorCode(j.error) ? new VigieError(j.error, message, res.status) : new ForeignError(j.error ?? 'REQUEST_FAILED', message, res.status);
    }
    return json as T;
  }

  /** A 401 that says which key was sent (by source) and where the generated one lives. */
  private unauthorized(): VigieError {
    const file = keyFile(this.config);
    const sent = this.key.key ? `It sent the key from ${this.key.source}.` : `It sent ${this.key.source}.`;
    return new VigieError(
      'UNAUTHORIZED',
      `The coordinator at ${this.config.coordinatorUrl} refused the x-api-key header (401). ${sent} A fleet started by \`vigie up\` keeps its generated key in <its data folder>/api-key: here ${file}; if it runs from another folder, set --data-dir or VIGIE_DATA_DIR to that folder, or set VIGIE_API_KEY to the coordinator's key.`,
      401,
    );
  }
}
