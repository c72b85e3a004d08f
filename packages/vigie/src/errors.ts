/**
 * The error catalogue: every code Vigie answers, throws or prints, once, with its HTTP status
 * and what the user should do. Codes are public contract (scripts match on them); messages say
 * what happened in the case at hand, and the catalogue's `todo` is the generic next step. The
 * README's list of codes is generated from this table (config/docs.ts `renderErrorTable`), so the
 * two cannot drift.
 */
interface ErrorSpec {
  /** The HTTP status an API route answers with this code. */
  readonly status: number;
  /** Where the code comes from, for the README's grouping. */
  readonly area: 'request' | 'worker' | 'dispatch' | 'cycle' | 'store' | 'lock' | 'config' | 'upstream' | 'failover' | 'cli';
  /** What to do about it, in one sentence. */
  readonly todo: string;
}

function spec(status: number, area: ErrorSpec['area'], todo: string): ErrorSpec {
  return { status, area, todo };
}

export const ERROR_CATALOGUE = {
  // Requests: the caller sent something Vigie cannot take.
  UNAUTHORIZED: spec(401, 'request', 'Send the API key in the x-api-key header (VIGIE_API_KEY; `vigie up` keeps its generated key in .vigie/api-key).'),
  INVALID_JSON: spec(400, 'request', 'Send a valid JSON object as the body.'),
  BODY_TOO_LARGE: spec(413, 'request', 'Send a smaller body, or raise MAX_BODY_BYTES.'),
  JSON_TOO_DEEP: spec(400, 'request', 'Send a JSON body nested at most 64 levels deep.'),
  BAD_URL: spec(400, 'request', 'Percent-encode the URL correctly (encodeURIComponent on each path part).'),
  URL_TOO_LONG: spec(414, 'request', 'Shorten the URL: ids are at most 100 characters.'),
  HEADERS_TOO_LARGE: spec(431, 'request', 'Send smaller headers (16 KiB at most, request line included).'),
  REQUEST_TIMEOUT: spec(408, 'request', 'Send the whole request within HTTP_REQUEST_TIMEOUT_MS (headers within HTTP_HEADERS_TIMEOUT_MS).'),
  UNSUPPORTED_MEDIA_TYPE: spec(415, 'request', 'Send the body as application/json.'),
  BAD_REQUEST: spec(400, 'request', 'Fix the request as the message says.'),
  NOT_FOUND: spec(404, 'request', 'Check the route and method (see the README\'s HTTP API).'),
  INVALID_QUERY: spec(400, 'request', 'Fix the query parameter the message names.'),
  INVALID_INPUT: spec(400, 'request', 'Fix the field the message names.'),
  INVALID_WORKER: spec(400, 'request', 'Send { "id", "url", "name"?, "region"? } with an http(s) url.'),
  WORKER_EXISTS: spec(409, 'request', 'Remove the worker first (vigie workers rm ID), or pick another id.'),
  WORKER_NOT_FOUND: spec(404, 'request', 'List the workers (vigie workers list) and use one of their ids.'),
  INVALID_ALERT: spec(400, 'request', 'Fix the alert field the message names.'),
  ALERT_NOT_FOUND: spec(404, 'request', 'List the alerts (vigie alerts list) and use one of their ids.'),
  UNKNOWN_SOURCE: spec(400, 'request', 'Use a source named in the config file\'s `sources`.'),
  INTERNAL_ERROR: spec(500, 'request', 'A bug or an unexpected failure: see the server log, and report it.'),
  SHUTTING_DOWN: spec(503, 'request', 'The process is stopping; send the request to another one, or again once it is back.'),

  // Worker: commands and what a worker answers.
  INVALID_COMMAND: spec(400, 'worker', 'Send { "type": ..., "payload": ... } with the payload the command expects.'),
  UNKNOWN_COMMAND_TYPE: spec(400, 'worker', 'Use one of the types check-alerts, scrape, generate-cookies, custom.'),
  UNKNOWN_HANDLER: spec(400, 'worker', 'Name a custom handler that a plugin registered (echo ships built in).'),
  COMMAND_NOT_SUPPORTED: spec(501, 'worker', 'Configure what the command needs on the worker (a source, a refresher), as the message says.'),
  COMMAND_TIMEOUT: spec(504, 'worker', 'Give the command more time (COMMAND_TIMEOUT_MS, x-vigie-deadline-ms) or less work.'),
  COMMAND_FAILED: spec(500, 'worker', 'See the worker\'s log for the handler\'s error.'),
  NO_SCRAPING_COOKIES: spec(503, 'worker', 'Store the credential: vigie credentials set NAME --from-file F (or --stdin).'),
  HOST_NOT_ALLOWED: spec(400, 'worker', 'Add the host to SCRAPE_ALLOWED_HOSTS, or scrape an allowed one.'),
  PLUGIN_INVALID: spec(500, 'worker', 'Fix the plugin module named in VIGIE_PLUGINS (see examples/custom-handler.mjs).'),
  UNKNOWN_REFRESHER: spec(400, 'worker', 'Name a refresher of the config file\'s `refreshers`.'),
  REFRESH_FAILED: spec(502, 'worker', 'Check the refresher\'s login URL and account; the message says what came back.'),
  TIMEOUT: spec(504, 'worker', 'The operation took longer than its bound; retry, or check the dependency it waited on.'),
  ABORTED: spec(499, 'worker', 'The caller gave up; nothing to do unless it keeps happening.'),

  // Upstream: what a source did to a worker.
  UPSTREAM_FORBIDDEN: spec(403, 'upstream', 'The source blocked this worker\'s address; the failover ladder (ENABLE_FAILOVER) moves it, or wait for the ban to end.'),
  UPSTREAM_RATE_LIMITED: spec(429, 'upstream', 'Raise REQUEST_DELAY_MIN_MS / REQUEST_DELAY_MAX_MS, or check fewer alerts per worker.'),
  UPSTREAM_ERROR: spec(502, 'upstream', 'Check the source\'s url and field mapping in the config; the message has its answer.'),
  UPSTREAM_TIMEOUT: spec(504, 'upstream', 'The source is slow: retry later or raise SCRAPE_TIMEOUT_MS.'),
  SOURCE_FAILED: spec(502, 'upstream', 'The source adapter threw: see the worker\'s log and the adapter\'s config.'),

  // Dispatch: the coordinator sending commands to workers.
  NO_WORKER_AVAILABLE: spec(503, 'dispatch', 'Every worker is banned or unhealthy, or none is registered: see vigie stats.'),
  ALL_WORKERS_FAILED: spec(502, 'dispatch', 'Every worker tried failed: see each attempt\'s error, and the workers\' logs.'),
  WORKER_UNAUTHORIZED: spec(502, 'dispatch', 'Give the coordinator and the workers the same VIGIE_API_KEY.'),

  // Cycles and leadership.
  CYCLE_IN_PROGRESS: spec(409, 'cycle', 'Wait for the running cycle to end (vigie cycle list), then run again.'),
  NOT_LEADER: spec(503, 'cycle', 'Send the request to the leading coordinator (vigie lock status names it).'),
  LEADERSHIP_LOST: spec(409, 'cycle', 'Another coordinator took over; it finishes the work. Nothing to do unless it keeps happening.'),

  // Store.
  STORE_UNAVAILABLE: spec(503, 'store', 'The database does not answer: check that it runs and that DATABASE_URL is right; Vigie serves again once it is back.'),
  STORE_MIGRATION_FAILED: spec(500, 'store', 'Read the migration error in the log; restore the database or fix the failing migration.'),
  STORE_INVALID_CONFIG: spec(400, 'store', 'Fix DATABASE_URL or VIGIE_DATA_DIR as the message says.'),
  FENCED: spec(409, 'store', 'A newer leader wrote first; this coordinator stepped down. Nothing to do.'),
  SLOT_TAKEN: spec(409, 'store', 'This schedule slot already ran; the next one runs at its time.'),
  UNKNOWN_WORKER: spec(404, 'store', 'The worker was removed; list the workers and use one of their ids.'),

  // Locks and the config store.
  LOCK_BACKEND_UNAVAILABLE: spec(503, 'lock', 'Redis (REDIS_URL) or the lock folder does not answer: check it; leadership resumes when it is back.'),
  LOCK_LOST: spec(409, 'lock', 'Another holder took the lock; its job runs there. Nothing to do unless it keeps happening.'),
  LOCK_TTL_INVALID: spec(400, 'lock', 'Give a lock TTL of at least one second.'),
  LOCK_NAME_INVALID: spec(400, 'lock', 'Use a lock name of letters, digits, -, _ and :.'),
  LEADER_TIMING_INVALID: spec(400, 'lock', 'Give LEADER_LEASE_MS of at least 1000 ms.'),
  REDIS_REQUIRED: spec(503, 'config', 'Set REDIS_URL, or drop --require-redis.'),
  CONFIG_INVALID: spec(400, 'config', 'Fix the setting the message names (vigie config docs lists them all).'),
  CONFIG_STORE_UNAVAILABLE: spec(503, 'config', 'Redis (REDIS_URL) does not answer: check it, or use CONFIG_STORE_MODE=file_first.'),
  CONFIG_STORE_CORRUPT: spec(500, 'config', 'Fix or remove the run-time settings file the message names.'),
  PORT_IN_USE: spec(409, 'config', 'Stop the process the message names (an earlier `vigie up` left running?), or give this one another port (--port, --worker-port, PORT).'),
  ADDRESS_UNAVAILABLE: spec(500, 'config', 'Listen on an address this host has; local workers need 127.0.0.2 upwards (macOS: sudo ifconfig lo0 alias 127.0.0.2).'),
  NOTIFY_TIMEOUT: spec(504, 'config', 'The notification target is slow; it is retried. Raise NOTIFY_SEND_TIMEOUT_MS if it keeps happening.'),

  // Machine providers: the steps of the failover ladder (remediation/providers).
  FAILOVER_IN_PROGRESS: spec(409, 'failover', 'A failover step is already under way on this worker: wait for it (vigie failover status), then try again.'),
  FAILOVER_NO_STEP: spec(409, 'failover', 'That rung has nothing to try for this worker: add regions to FAILOVER_REGIONS or apps to FAILOVER_APPS, or ask for another step.'),
  PROVIDER_EXHAUSTED: spec(409, 'failover', 'No region, app or address is left to move the worker to: add regions to FAILOVER_REGIONS or apps to FAILOVER_APPS.'),
  PROVIDER_TARGET_INVALID: spec(400, 'failover', 'Give the worker what the provider needs (flyApp and machineId for fly), as the message says.'),
  PROVIDER_UNKNOWN_WORKER: spec(404, 'failover', 'The local provider heals the workers of `vigie up` only: use MACHINE_PROVIDER=fly or dry-run for other workers.'),
  PROVIDER_BUSY: spec(409, 'failover', 'A step is already running on this worker: wait for it to end.'),
  PROVIDER_NOT_READY: spec(504, 'failover', 'The worker did not answer its health check after the step: see its log.'),
  FLY_NOT_CONFIGURED: spec(400, 'failover', 'Set FLY_API_TOKEN (`fly tokens create deploy -a <app>`).'),
  FLY_UNAUTHORIZED: spec(502, 'failover', 'Check FLY_API_TOKEN: expired, revoked, or not allowed on this app.'),
  FLY_NOT_FOUND: spec(404, 'failover', 'Check the worker\'s flyApp and machineId (`fly machine list -a <app>`).'),
  FLY_CAPACITY: spec(503, 'failover', 'Fly has no room in that region now: add regions to FAILOVER_REGIONS, or try later.'),
  FLY_LEASE_HELD: spec(409, 'failover', 'Another process (a deploy, another coordinator) holds the machine\'s lease: try again once it is released or lapses.'),
  FLY_RATE_LIMITED: spec(503, 'failover', 'Fly rate-limited the calls through every retry: space the steps (FAILOVER_COOLDOWN_MS) and try again.'),
  FLY_UNAVAILABLE: spec(502, 'failover', 'Fly\'s API failed, or could not be reached, through every retry: check FLY_API_URL and status.flyio.net.'),
  FLY_TIMEOUT: spec(504, 'failover', 'Fly did not answer, or the machine did not reach the state, in time: the step can be tried again.'),
  FLY_API_ERROR: spec(502, 'failover', 'Fly refused the request: the message has its reason and fly-request-id.'),
  FLY_MACHINE_AMBIGUOUS: spec(409, 'failover', 'The worker\'s app has several machines: set machineId in the worker\'s entry.'),

  // The primary/standby monitor (vigie standby, docs/standby.md).
  STANDBY_COMMAND_REFUSED: spec(409, 'failover', 'Check `vigie standby status`: deactivate needs an active standby, and a failover or fail-back in progress must end first.'),
  STANDBY_MONITOR_UNREACHABLE: spec(503, 'failover', 'A monitor holds the lock but its endpoint does not answer: check it runs (standby.log), or stop it and run the command again.'),
  STANDBY_LOCK_LOST: spec(503, 'failover', 'Another monitor took over the status folder; run one monitor per STANDBY_STATUS_FILE.'),
  STANDBY_NO_MACHINE: spec(503, 'failover', 'Deploy the standby app once (fly deploy -a FLY_APP), then stop its machine (fly machine stop).'),
  STANDBY_START_FAILED: spec(500, 'failover', 'Fix STANDBY_START_COMMAND (its output is in standby-process.log beside the status file); the monitor retries.'),
  STANDBY_STOP_FAILED: spec(500, 'failover', 'Stop the standby process group by hand (its pid is in standby.pid), then run vigie standby deactivate again.'),
  STANDBY_TIMING_INVALID: spec(400, 'failover', 'Give positive CHECK_INTERVAL and FAST_CHECK_INTERVAL, thresholds of at least 1, MIN_ACTIVE_SECONDS ≥ 0.'),
  STANDBY_STATUS_UNREADABLE: spec(500, 'failover', 'Fix or move away STANDBY_STATUS_FILE (check first whether a standby runs: vigie standby deactivate stops it).'),

  // The CLI talking to a coordinator.
  COORDINATOR_UNREACHABLE: spec(503, 'cli', 'Start the coordinator (vigie up or vigie coordinator), or point VIGIE_URL at it.'),
  BAD_ANSWER: spec(502, 'cli', 'VIGIE_URL does not point at a Vigie coordinator, or a proxy answered.'),
  REQUEST_FAILED: spec(502, 'cli', 'See the HTTP status in the message.'),
} as const satisfies Record<string, ErrorSpec>;

/** Every code Vigie uses: a union, so that a typo is a compile error. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** True when `code` is one of the catalogue's codes (for codes read from the wire). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The catalogue's entry for `code`. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code];
}

/**
 * Typed errors with stable codes. A `VigieError` is what users see: `code` is the contract,
 * `message` says what happened and what to do next, `httpStatus` (the catalogue's, unless the
 * case needs another) is the answer an HTTP route gives for it.
 */
export class VigieError extends Error {
  override readonly name: string = 'VigieError';
  readonly httpStatus: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.httpStatus = httpStatus ?? ERROR_CATALOGUE[code].status;
  }
}

/** A bad setting: stops start-up with one message naming the key, the value and what is allowed. */
export class ConfigError extends VigieError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('CONFIG_INVALID', message, 400);
  }
}

/**
 * An error whose code is not Vigie's own: a plugin handler's (`{ code, httpStatus }` on any
 * error), or another process's answer relayed as it came. Kept apart so that `VigieError.code`
 * stays the catalogue's union.
 */
export class ForeignError extends Error {
  override readonly name = 'ForeignError';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` is a VigieError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof VigieError && err.code === code;
}
