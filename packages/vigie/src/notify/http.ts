// Shared bits of the HTTP notifiers. Error texts are built from status codes and error codes,
// never from URLs or request objects: a Telegram URL holds the bot token.

/** Why a fetch threw, in words that hold no URL: "timed out", "network error (ECONNREFUSED)". */
export function describeFetchError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as { message?: unknown } | undefined;
    return typeof reason?.message === 'string' && reason.message ? `aborted: ${reason.message}` : 'aborted (send timeout or shutdown)';
  }
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  if (typeof code === 'string' && code) return `network error (${code})`;
  // undici puts the reason in `cause`; its message names host and port at most, never the path.
  const msg = e?.cause?.message;
  return typeof msg === 'string' && msg ? `network error (${msg})` : `network error (${e?.name ?? 'unknown'})`;
}

/** The first `max` characters of a response body, on one line; '' if it cannot be read. */
export async function bodySnippet(res: Response, max = 200): Promise<string> {
  try {
    const text = (await res.text()).replace(/\s+/g, ' ').trim();
    return text.length > max ? `${text.slice(0, max)}…` : text;
  } catch {
    return '';
  }
}
