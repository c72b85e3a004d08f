/**
 * The one place that hides secrets from output. Two tools:
 * - `maskUrl` shows a connection string without its secrets (the password in the userinfo and
 *   any secret-looking query parameter: `password`, `pass`, `token`, `secret`, `key`; both the
 *   pg and the Redis drivers honour `?password=`);
 * - `scrub` removes secret values from any text: every registered one (API keys, credential
 *   values, tokens) plus those a caller holds for itself (e.g. the forms of its URL's password).
 * Log lines and error answers go through `scrub` as a last line of defence: redaction by field
 * name catches the expected places, this catches a secret that slipped into a message or a stack.
 */

/** What a masked secret is shown as. */
export const MASK = '****';

/** Query parameters whose value is a secret, compared case-insensitively. */
const SECRET_PARAMS = new Set(['password', 'pass', 'token', 'secret', 'key']);

const known = new Set<string>();

/** Remembers a secret so that `scrub` removes it from any text. Short values are ignored (too many false hits). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  known.clear();
}

/** `text` with every registered secret, and each of `extra` (empty ones ignored), replaced by `****`. */
export function scrub(text: string, extra: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const s of extra) if (s && out.includes(s)) out = out.split(s).join(MASK);
  for (const s of known) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/**
 * `url` with its password and secret query parameters replaced by `****`, so that a connection
 * string can be shown. A value that does not parse as a URL with a host is shown as `****`
 * whole: it may still hold a password in `user:pass@` form.
 */
export function maskUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK;
  }
  // `user:pw@host` without a scheme parses as scheme `user:` with an opaque path holding the password.
  if (!u.host) return MASK;
  if (u.password) u.password = MASK;
  // Rebuilt by hand rather than with searchParams.set, which would re-encode the other parameters.
  if (u.search) {
    u.search = u.search
      .slice(1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq < 0 ? pair : pair.slice(0, eq);
        return eq >= 0 && SECRET_PARAMS.has(safeDecode(name).toLowerCase()) ? `${name}=${MASK}` : pair;
      })
      .join('&');
  }
  return u.toString();
}

/**
 * Every form in which the secrets of `url` could appear in a driver's message: the password and
 * the secret query parameters, as written and percent-decoded. Give them to `scrub`.
 */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const raw = [u.password];
  for (const pair of u.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq >= 0 && SECRET_PARAMS.has(safeDecode(pair.slice(0, eq)).toLowerCase())) raw.push(pair.slice(eq + 1));
  }
  const out = new Set<string>();
  for (const r of raw) {
    if (!r) continue;
    out.add(r);
    out.add(safeDecode(r.replace(/\+/g, ' ')));
    out.add(safeDecode(r));
  }
  return [...out].filter((s) => s.length > 0);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A malformed escape: the raw form is all there is.
    return s;
  }
}
