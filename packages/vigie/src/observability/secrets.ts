/**
 * The secrets this process knows (API keys, credential values, tokens). Log lines and error
 * answers are scrubbed of them as a last line of defence: redaction by field name catches the
 * expected places, this catches a secret that slipped into a message or a stack.
 */
const known = new Set<string>();

/** Remembers a secret so that `scrub` removes it from any text. Short values are ignored (too many false hits). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  known.clear();
}

/** `text` with every known secret replaced by `****`. */
export function scrub(text: string): string {
  if (known.size === 0) return text;
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('****');
  return out;
}

/** `text` with each of `secrets` replaced by `mask` (for secrets held by one component, not registered process-wide). */
export function scrubValues(text: string, secrets: readonly string[], mask = '****'): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(mask);
  return out;
}

/** The forms a URL's password can take in an error text: as written, and percent-decoded. */
export function urlPasswordForms(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    return [...new Set([raw, decodeURIComponent(raw)])].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}
