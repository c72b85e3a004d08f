import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VigieConfig } from '../config/load.js';
import { ForeignError, isErrorCode, VigieError } from '../errors.js';

/**
 * The CLI's view of a running coordinator: its URL (VIGIE_URL, default 127.0.0.1:8080) and
 * the API key (VIGIE_API_KEY, else the key `vigie up` keeps in the data folder).
 */
export class CoordinatorApi {
  private readonly key: string | undefined;

  constructor(private readonly config: VigieConfig) {
    const file = join(config.dataDir, 'api-key');
    this.key = config.apiKey?.[0] ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  }

  /** Calls the coordinator and returns the parsed JSON answer; an error answer becomes a VigieError. */
  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.config.coordinatorUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.key ? { 'x-api-key': this.key } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
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
    if (!res.ok) {
      const j = json as { error?: string; message?: string };
      throw isErrorCode(j.error) ? new VigieError(j.error, j.message ?? `HTTP ${res.status}`, res.status) : new ForeignError(j.error ?? 'REQUEST_FAILED', j.message ?? `HTTP ${res.status}`, res.status);
    }
    return json as T;
  }
}
