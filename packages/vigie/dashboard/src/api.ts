// The dashboard's one way to talk to coordinators: @vigie/client over every coordinator the
// operator listed (this page's own first), with the API key in x-api-key. Requests and the live
// feed fail over between them by themselves.
import { createClient, isVigieClientError, type VigieClient } from '@vigie/client';
import type { Session } from './types.js';

const KEY = 'vigie.apiKey';
const NODES = 'vigie.coordinators';

/** The session kept in this tab only (sessionStorage), or null before login. */
export function loadSession(): Session | null {
  const key = sessionStorage.getItem(KEY);
  if (key === null) return null;
  const nodes = JSON.parse(sessionStorage.getItem(NODES) ?? 'null') as string[] | null;
  return { key, nodes: nodes ?? [location.origin] };
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, session.key);
  sessionStorage.setItem(NODES, JSON.stringify(session.nodes));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(NODES);
}

/** The coordinators typed by the operator, one per line or comma; this page's origin when none. */
export function parseNodes(text: string): string[] {
  const nodes = text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  return nodes.length > 0 ? nodes : [location.origin];
}

/** A client for one session. */
export function connect(session: Session): VigieClient {
  return createClient({
    nodes: session.nodes,
    headers: { 'x-api-key': session.key },
    healthPath: '/api/health',
    healthCheckIntervalMs: 10_000,
    timeoutMs: 10_000,
  });
}

/** What to tell the operator about a failed call. */
export function describeError(err: unknown): string {
  if (isVigieClientError(err)) {
    if (err.status === 401) return 'Wrong API key: the coordinator refused it (401). Use the key in VIGIE_API_KEY (vigie up keeps it in .vigie/api-key).';
    const body = err.body as { code?: string; message?: string } | undefined;
    if (body && typeof body === 'object' && typeof body.message === 'string') return `${body.code ?? err.status}: ${body.message}`;
    if (err.code === 'ALL_NODES_FAILED' || err.code === 'NO_NODES') return 'No coordinator answered: check that one runs at the addresses given.';
  }
  return err instanceof Error ? err.message : String(err);
}
