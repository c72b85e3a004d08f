import { VigieClientError } from './errors.js';

/** Validates a node base URL (http/https) and drops its trailing slash, so paths can be appended. */
export function normalizeNodeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VigieClientError('INVALID_ARGUMENT', `node URL is not a valid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new VigieClientError('INVALID_ARGUMENT', `node URL must be http or https: ${JSON.stringify(url)}`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new VigieClientError('INVALID_ARGUMENT', `node URL must not carry a query or fragment: ${JSON.stringify(url)}`);
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

const ABSOLUTE = /^[a-zA-Z][a-zA-Z\d+.-]*:|^\/\//;

/** Checks a request path once and returns it with a leading "/"; absolute URLs would bypass failover. */
export function normalizePath(path: string): string {
  if (typeof path !== 'string' || ABSOLUTE.test(path)) {
    throw new VigieClientError('INVALID_ARGUMENT', `path must be relative to the nodes, got ${JSON.stringify(path)}`);
  }
  return path.charCodeAt(0) === 47 /* / */ ? path : `/${path}`;
}

/** Joins a node base URL and a request path (validated by `normalizePath`). */
export function joinUrl(base: string, path: string): string {
  return base + normalizePath(path);
}
