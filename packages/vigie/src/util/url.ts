/** True when `u` parses as an absolute http or https URL (config, alerts and refreshers take no other). */
export function isHttpUrl(u: string): boolean {
  return URL.canParse(u) && /^https?:$/.test(new URL(u).protocol);
}

/** The validation message for a URL that `isHttpUrl` refuses. */
export const HTTP_URL_MESSAGE = 'expected an http or https URL';
