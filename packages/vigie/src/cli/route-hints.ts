/**
 * The coordinator's messages point to its HTTP routes (its callers may be scripts with curl);
 * the CLI shows the command that does the same instead, so that a CLI user stays in the CLI.
 * One table: route → command. Longer routes first, so that a prefix does not match early.
 */
const ROUTE_TO_COMMAND: ReadonlyArray<readonly [method: string, route: string, command: string]> = [
  ['POST', '/api/v1/alerts/run-once', 'vigie cycle run'],
  ['GET', '/api/v1/alerts/runs', 'vigie cycle list'],
  ['GET', '/api/v1/alerts', 'vigie alerts list'],
  ['GET', '/api/v1/matches', 'vigie matches'],
  ['GET', '/api/v1/worker/main/stats', 'vigie stats'],
  ['GET', '/api/v1/worker/main/workers', 'vigie workers list'],
];

/** `message` with every "METHOD /route" that has a CLI command replaced by `vigie …`. */
export function routesToCommands(message: string): string {
  let out = message;
  for (const [method, route, command] of ROUTE_TO_COMMAND) {
    // The route must end there (not /api/v1/alerts/:id), query strings included in the match.
    const pattern = new RegExp(`${method} ${route.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\w/-])(\\?[^\\s)]*)?`, 'g');
    out = out.replace(pattern, `\`${command}\``);
  }
  return out;
}
