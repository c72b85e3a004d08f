/** Returns the URL with its password (and any `password` query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo an unparseable URL: it may still hold a password.
    return '<unparseable URL>';
  }
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}

/** Every form in which the URL's secrets could appear in a driver message. */
export function secretsOf(url: string): string[] {
  const out: string[] = [];
  try {
    const parsed = new URL(url);
    for (const raw of [parsed.password, parsed.searchParams.get('password') ?? '']) {
      if (!raw) continue;
      out.push(raw);
      try {
        out.push(decodeURIComponent(raw));
      } catch {
        // A malformed escape: the raw form is all there is.
      }
    }
  } catch {
    // Unparseable: the caller never prints the URL itself.
  }
  return out.filter((s) => s.length > 0);
}

/** Replaces every occurrence of each secret in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
