import { bool, int, list, oneOf, str, url, type Kind } from './kinds.js';

/**
 * Every setting of Vigie, documented once beside its default. The env names are the seeds'
 * (public contract: people moving from the seeds' systems keep their env files). The Zod schema,
 * `vigie config check` and the README's config table are all derived from this table.
 */
export interface Setting<T = unknown> {
  readonly env: string;
  readonly kind: Kind<T>;
  readonly default?: T;
  readonly doc: string;
  /** How a value takes effect; see `Applies`. A test checks it against the code that reads the setting. */
  readonly applies: Applies;
  readonly group: Group;
  /** `whole`: never shown; `url`: the URL's password is masked. */
  readonly secret?: 'whole' | 'url';
}

/**
 * How a setting takes effect:
 * - `live`: running coordinators re-read it from the config store (`vigie config set`) on
 *   their next action, no restart; it is also read at start from flags, env and file.
 * - `restart`: read once when a process starts (a worker, a coordinator, or each CLI command).
 * - `unread`: accepted and validated, but nothing in this version reads it yet. The docs say so
 *   rather than describe what it will do. Flip it to `restart` or `live` in the change that
 *   makes code read it (test/config/applies.test.ts fails until then).
 */
export type Applies = 'live' | 'restart' | 'unread';

export type Group =
  | 'general'
  | 'worker'
  | 'coordinator'
  | 'alerts'
  | 'failover'
  | 'lock'
  | 'standby';

/** Identity: keeps each entry's literal type (whether it has a default) for `VigieConfig`. */
function setting<const S extends Setting<any>>(s: S): S {
  return s;
}

const MINUTE = 60_000;

export const SETTINGS = {
  // general
  dataDir: setting({ env: 'VIGIE_DATA_DIR', kind: str(), default: '.vigie', applies: 'restart', group: 'general',
    doc: 'Folder for the embedded store (vigie.db), the generated API key and local state; relative to the working folder.' }),
  databaseUrl: setting({ env: 'DATABASE_URL', kind: url(['postgres', 'postgresql']), applies: 'restart', group: 'general', secret: 'url',
    doc: 'PostgreSQL for shared state across hosts. Unset: the embedded SQLite file in the data folder.' }),
  apiKey: setting({ env: 'VIGIE_API_KEY', kind: list(), applies: 'restart', group: 'general', secret: 'whole',
    doc: 'API key(s) required in `x-api-key` (or `authorization: Bearer`) by every endpoint but health, reads and `/metrics` included. A comma list lets you rotate keys: any listed key is accepted.' }),
  logLevel: setting({ env: 'LOG_LEVEL', kind: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), default: 'info', applies: 'live', group: 'general',
    doc: 'Minimum log level.' }),
  logFormat: setting({ env: 'LOG_FORMAT', kind: oneOf(['auto', 'json', 'pretty']), default: 'auto', applies: 'restart', group: 'general',
    doc: '`auto`: pretty on a terminal, JSON lines otherwise.' }),
  host: setting({ env: 'HOST', kind: str(), applies: 'restart', group: 'general',
    doc: 'Address to listen on. Default 127.0.0.1 (loopback only); set 0.0.0.0 or an address to serve other hosts.' }),
  port: setting({ env: 'PORT', kind: int(0, 65535), applies: 'restart', group: 'general',
    doc: 'Port to listen on. Default 8081 for a worker, 8080 for the coordinator; 0 picks a free one.' }),
  shutdownGraceMs: setting({ env: 'SHUTDOWN_GRACE_MS', kind: int(0), default: 10_000, applies: 'restart', group: 'general',
    doc: 'On SIGTERM/SIGINT, how long commands in flight may still run before the process exits anyway.' }),

  httpHeadersTimeoutMs: setting({ env: 'HTTP_HEADERS_TIMEOUT_MS', kind: int(100), default: 10_000, applies: 'restart', group: 'general',
    doc: 'Time a client has to send a request\'s headers to the coordinator or a worker; a slower one gets 408 `REQUEST_TIMEOUT` and is disconnected.' }),
  httpRequestTimeoutMs: setting({ env: 'HTTP_REQUEST_TIMEOUT_MS', kind: int(100), default: 30_000, applies: 'restart', group: 'general',
    doc: 'Time a client has to send a whole request (headers and body) to the coordinator or a worker; a slower one gets 408 `REQUEST_TIMEOUT` and is disconnected, so that a trickled body cannot hold a socket. Does not bound the answer (a long command).' }),
  coordinatorUrl: setting({ env: 'VIGIE_URL', kind: url(['http', 'https']), default: 'http://127.0.0.1:8080', applies: 'restart', group: 'general',
    doc: 'Coordinator the CLI talks to (`vigie workers`, `vigie stats`, `vigie cycle run`).' }),

  // worker
  workerId: setting({ env: 'WORKER_ID', kind: str(), applies: 'restart', group: 'worker',
    doc: 'This worker\'s id, as the coordinator knows it. Default: `worker-<region>`.' }),
  workerName: setting({ env: 'WORKER_NAME', kind: str(), applies: 'restart', group: 'worker',
    doc: 'Human name shown in logs and stats. Default: the id.' }),
  workerRegion: setting({ env: 'WORKER_REGION', kind: str(), default: 'local', applies: 'restart', group: 'worker',
    doc: 'Region label (a Fly.io region such as `cdg`, or any name).' }),
  insecure: setting({ env: 'VIGIE_INSECURE', kind: bool(), default: false, applies: 'restart', group: 'general',
    doc: 'Allow a worker or coordinator to run without an API key. Refused unless it listens on loopback only.' }),
  publicRead: setting({ env: 'VIGIE_PUBLIC_READ', kind: bool(), default: false, applies: 'restart', group: 'general',
    doc: 'Serve reads (GET: stats, workers, alerts, matches, runs, config, `/metrics`) without the API key, for a local dashboard. Refused unless the server listens on loopback only.' }),
  commandTimeoutMs: setting({ env: 'COMMAND_TIMEOUT_MS', kind: int(100), default: 10 * MINUTE, applies: 'restart', group: 'worker',
    doc: 'Deadline of one command on a worker; an overrunning handler is abandoned with 504 `COMMAND_TIMEOUT`. A caller may ask for less with the `x-vigie-deadline-ms` header.' }),
  maxBodyBytes: setting({ env: 'MAX_BODY_BYTES', kind: int(1024), default: 1_048_576, applies: 'restart', group: 'worker',
    doc: 'Largest accepted request body; larger gets 413.' }),
  plugins: setting({ env: 'VIGIE_PLUGINS', kind: list(), default: [], applies: 'restart', group: 'worker',
    doc: 'Modules (paths) that register `custom` command handlers; see examples/custom-handler.' }),
  scrapingCredential: setting({ env: 'SCRAPING_CREDENTIAL', kind: str(), default: 'scraping', applies: 'restart', group: 'worker',
    doc: 'Name of the stored credential that `check-alerts` and `scrape` use (`vigie credentials set <name>`).' }),
  sourceAddress: setting({ env: 'SOURCE_ADDRESS', kind: str(), applies: 'restart', group: 'worker',
    doc: 'Local address outbound source and scrape requests leave from. Default: the worker\'s HOST when it is a specific address (so that 127.0.0.2 fetches from 127.0.0.2), else the system\'s choice.' }),
  generateCookiesRefresher: setting({ env: 'GENERATE_COOKIES_REFRESHER', kind: str(), applies: 'restart', group: 'worker',
    doc: 'Refresher (config file `refreshers`) that `generate-cookies` runs when the payload names none; with a single refresher, that one.' }),
  autoRunCycle: setting({ env: 'AUTO_RUN_CYCLE', kind: bool(), default: false, applies: 'restart', group: 'worker',
    doc: 'Let this worker run alert cycles on its own. Off so that cycles run only where the coordinator orchestrates them (two self-running workers check every alert twice).' }),

  // coordinator
  alertImportMaxBytes: setting({ env: 'ALERT_IMPORT_MAX_BYTES', kind: int(1024), default: 64 * 1_048_576, applies: 'restart', group: 'coordinator',
    doc: 'Largest body `POST /api/v1/alerts/import` accepts (20 000 alerts are about 5 MB); larger gets 413. Other routes keep `MAX_BODY_BYTES`.' }),
  healthCheckIntervalMs: setting({ env: 'HEALTH_CHECK_INTERVAL_MS', kind: int(100), default: MINUTE, applies: 'live', group: 'coordinator',
    doc: 'Interval between health checks of every worker.' }),
  healthCheckTimeoutMs: setting({ env: 'HEALTH_CHECK_TIMEOUT_MS', kind: int(100), default: 15_000, applies: 'live', group: 'coordinator',
    doc: 'Timeout of one health check.' }),
  alertCheckIntervalMs: setting({ env: 'ALERT_CHECK_INTERVAL_MS', kind: int(100), default: 5 * MINUTE, applies: 'live', group: 'coordinator',
    doc: 'Interval between alert cycles.' }),
  alertInitialDelayMs: setting({ env: 'ALERT_INITIAL_DELAY_MS', kind: int(0), default: MINUTE, applies: 'restart', group: 'coordinator',
    doc: 'Delay before the first alert cycle after start, to let workers come up.' }),
  lbStrategy: setting({ env: 'LB_STRATEGY', kind: oneOf(['random', 'round-robin', 'least-used', 'health-based', 'p2c-ewma']), default: 'random', applies: 'live', group: 'coordinator',
    doc: 'How the coordinator picks a worker. `p2c-ewma`: two random candidates, lower latency × in-flight wins.' }),
  maxRetries: setting({ env: 'MAX_RETRIES', kind: int(1, 20), default: 3, applies: 'live', group: 'coordinator',
    doc: 'Tries of one command, each on a worker not tried yet.' }),
  workerBanDurationMs: setting({ env: 'WORKER_BAN_DURATION_MS', kind: int(0), default: 30 * MINUTE, applies: 'live', group: 'coordinator',
    doc: 'Ban of a worker that answers 401/403; doubles for a repeat offender.' }),
  workerBanMaxMs: setting({ env: 'WORKER_BAN_MAX_MS', kind: int(0), default: 8 * 60 * MINUTE, applies: 'live', group: 'coordinator',
    doc: 'Cap of a doubled ban.' }),
  workerRequestTimeoutMs: setting({ env: 'WORKER_REQUEST_TIMEOUT_MS', kind: int(100), default: 30_000, applies: 'live', group: 'coordinator',
    doc: 'Timeout of one command sent to a worker.' }),
  dashboardOrigins: setting({ env: 'DASHBOARD_ALLOWED_ORIGINS', kind: list(), default: [], applies: 'restart', group: 'coordinator',
    doc: 'Origins (`http://host:port`) of dashboards served by other coordinators that may call this one (CORS), so that a page fails over between coordinators. Empty: same origin only.' }),

  // alerts
  requestDelayMinMs: setting({ env: 'REQUEST_DELAY_MIN_MS', kind: int(0), default: 12_000, applies: 'restart', group: 'alerts',
    doc: 'Shortest random pause between two requests to a source.' }),
  requestDelayMaxMs: setting({ env: 'REQUEST_DELAY_MAX_MS', kind: int(0), default: 25_000, applies: 'restart', group: 'alerts',
    doc: 'Longest random pause between two requests to a source.' }),
  rateLimitMaxRetries: setting({ env: 'RATE_LIMIT_MAX_RETRIES', kind: int(0, 10), default: 2, applies: 'restart', group: 'alerts',
    doc: 'Retries of a source request answered 429, each after waiting its Retry-After.' }),
  rateLimitMaxWaitMs: setting({ env: 'RATE_LIMIT_MAX_WAIT_MS', kind: int(0), default: 120_000, applies: 'restart', group: 'alerts',
    doc: 'Longest Retry-After honoured; a longer ask is waited this long.' }),
  scrapeTimeoutMs: setting({ env: 'SCRAPE_TIMEOUT_MS', kind: int(100), default: 30_000, applies: 'restart', group: 'alerts',
    doc: 'Bound of one `scrape` fetch; a slower upstream answers 504 `UPSTREAM_TIMEOUT`.' }),
  scrapeMaxBytes: setting({ env: 'SCRAPE_MAX_BYTES', kind: int(1024), default: 1_048_576, applies: 'restart', group: 'alerts',
    doc: 'Largest body `scrape` answers; more is cut and `truncated` is true.' }),
  scrapeAllowedHosts: setting({ env: 'SCRAPE_ALLOWED_HOSTS', kind: list(), default: [], applies: 'restart', group: 'alerts',
    doc: 'Hosts the `scrape` command may fetch; empty refuses every host, so a leaked key cannot turn workers into an open proxy.' }),
  telegramBotToken: setting({ env: 'TELEGRAM_BOT_TOKEN', kind: str(), applies: 'restart', group: 'alerts', secret: 'whole',
    doc: 'Telegram bot token for match and standby notifications.' }),
  telegramChatId: setting({ env: 'TELEGRAM_CHAT_ID', kind: str(), applies: 'restart', group: 'alerts',
    doc: 'Telegram chat that receives notifications.' }),
  telegramApiUrl: setting({ env: 'TELEGRAM_API_URL', kind: url(['http', 'https']), default: 'https://api.telegram.org', applies: 'restart', group: 'alerts',
    doc: 'Telegram Bot API base URL (a local Bot API server, or a test double).' }),

  notifyPollIntervalMs: setting({ env: 'NOTIFY_POLL_INTERVAL_MS', kind: int(50), default: 1000, applies: 'restart', group: 'alerts',
    doc: 'How often the notification outbox is polled (new matches also wake it at once).' }),
  notifySendTimeoutMs: setting({ env: 'NOTIFY_SEND_TIMEOUT_MS', kind: int(100), default: 15_000, applies: 'restart', group: 'alerts',
    doc: 'Bound of one notification send; an entry is leased for this plus 30 s.' }),
  notifyMaxAttempts: setting({ env: 'NOTIFY_MAX_ATTEMPTS', kind: int(1), default: 10, applies: 'restart', group: 'alerts',
    doc: 'Tries of a notification before it is marked failed (backoff from 1 s to 10 min).' }),
  notifyConcurrency: setting({ env: 'NOTIFY_CONCURRENCY', kind: int(1, 64), default: 4, applies: 'restart', group: 'alerts',
    doc: 'Notification targets served at once (one target\'s messages go in order).' }),

  // failover (docs/failover.md)
  enableFailover: setting({ env: 'ENABLE_FAILOVER', kind: bool(), default: false, applies: 'live', group: 'failover',
    doc: 'Heal workers blocked by their source (403): canaries while banned, then restart → other region → other app. Off: a blocked worker is only banned.' }),
  max403BeforeFailover: setting({ env: 'MAX_403_BEFORE_FAILOVER', kind: int(1), default: 3, applies: 'live', group: 'failover',
    doc: 'Consecutive upstream 403s (canaries included) from one worker that trigger one failover step. A success resets the count.' }),
  failoverRegions: setting({ env: 'FAILOVER_REGIONS', kind: list(), default: ['cdg', 'iad', 'lhr'], applies: 'live', group: 'failover',
    doc: 'Regions a region step moves a blocked worker to, first one not its own first.' }),
  failoverApps: setting({ env: 'FAILOVER_APPS', kind: list(), default: [], applies: 'live', group: 'failover',
    doc: 'Apps an app step switches a blocked worker to, in order, once region moves did not clear the block.' }),
  failoverCooldownMs: setting({ env: 'FAILOVER_COOLDOWN_MS', kind: int(0), default: 5 * MINUTE, applies: 'live', group: 'failover',
    doc: 'At most one failover step per worker per this period.' }),
  failoverReadyWaitMs: setting({ env: 'FAILOVER_READY_WAIT_MS', kind: int(0), default: 30_000, applies: 'live', group: 'failover',
    doc: 'After a step, how long the worker is polled (health, then a canary) before the step counts as not clearing the block.' }),
  failoverProbeIntervalMs: setting({ env: 'FAILOVER_PROBE_INTERVAL_MS', kind: int(100), default: MINUTE, applies: 'live', group: 'failover',
    doc: 'While a worker is banned for a 403 (failover on), how often it is sent a canary: one real source request from its address.' }),
  failoverProbeAlert: setting({ env: 'FAILOVER_PROBE_ALERT', kind: str(), applies: 'live', group: 'failover',
    doc: 'Id of the alert whose search canaries run; unset: the first active alert.' }),
  failoverMaxPerHour: setting({ env: 'FAILOVER_MAX_PER_HOUR', kind: int(0), default: 6, applies: 'live', group: 'failover',
    doc: 'Failover steps allowed in the whole fleet per rolling hour (a cost guard on Fly: each move creates a machine).' }),
  machineProvider: setting({ env: 'MACHINE_PROVIDER', kind: oneOf(['local', 'fly', 'dry-run']), default: 'local', applies: 'restart', group: 'failover',
    doc: '`local` restarts and moves the local workers of `vigie up`; `fly` drives Fly.io Machines; `dry-run` only logs. For `vigie standby`: `local` runs STANDBY_START_COMMAND, `fly` starts a stopped machine of FLY_APP (`dry-run` is refused).' }),
  flyApiToken: setting({ env: 'FLY_API_TOKEN', kind: str(), applies: 'restart', group: 'failover', secret: 'whole',
    doc: 'Fly.io API token (`fly tokens create deploy -a <workers app>`), for the `fly` machine provider and the standby (and the token `vigie fly-fake` accepts).' }),
  flyApiUrl: setting({ env: 'FLY_API_URL', kind: url(['http', 'https']), default: 'https://api.machines.dev/v1', applies: 'restart', group: 'failover',
    doc: 'Fly Machines API base URL (inside Fly: http://_api.internal:4280/v1).' }),
  flyApp: setting({ env: 'FLY_APP', kind: str(), applies: 'restart', group: 'failover',
    doc: 'Fly app of the workers (failover) or of the standby (standby monitor).' }),
  flyWorkerUrlTemplate: setting({ env: 'FLY_WORKER_URL_TEMPLATE', kind: str(), default: 'http://{machineId}.vm.{app}.internal:8081', applies: 'restart', group: 'failover',
    doc: 'URL of a worker on a Fly machine, after a failover step gave it a new machine: `{machineId}`, `{app}`, `{region}` and `{privateIp}` are replaced. The default reaches the machine over Fly\'s private network (6PN) from a coordinator in the same organisation.' }),

  // lock and config store
  redisUrl: setting({ env: 'REDIS_URL', kind: url(['redis', 'rediss']), applies: 'restart', group: 'lock', secret: 'url',
    doc: 'Redis for locks, leadership and the config store. Unset: a file lock, safe on one host only.' }),
  redisLockTtlSeconds: setting({ env: 'REDIS_LOCK_TTL_SECONDS', kind: int(1), default: 300, applies: 'restart', group: 'lock',
    doc: 'TTL of a singleton job\'s lock.' }),
  lockBackend: setting({ env: 'LOCK_BACKEND', kind: oneOf(['auto', 'redis', 'file']), default: 'auto', applies: 'restart', group: 'lock',
    doc: '`auto`: Redis when REDIS_URL is set, else a file lock (one host only). `file` keeps the file lock even with Redis: cycles go on when Redis is down, but only one host may run coordinators.' }),
  leaderLeaseMs: setting({ env: 'LEADER_LEASE_MS', kind: int(1000), default: 15_000, applies: 'restart', group: 'lock',
    doc: 'Coordinator leadership lease; renewed every third of it.' }),
  configStoreMode: setting({ env: 'CONFIG_STORE_MODE', kind: oneOf(['redis_first', 'file_first']), default: 'redis_first', applies: 'restart', group: 'lock',
    doc: 'Where run-time settings are read first.' }),
  configStoreRedisPrefix: setting({ env: 'CONFIG_STORE_REDIS_PREFIX', kind: str(), default: 'vigie:config:', applies: 'restart', group: 'lock',
    doc: 'Redis key prefix of the config store.' }),

  // standby
  localHealthUrl: setting({ env: 'LOCAL_HEALTH_URL', kind: url(['http', 'https']), applies: 'restart', group: 'standby',
    doc: 'Health URL of the primary site; any 2xx within STANDBY_CHECK_TIMEOUT is healthy. Required by `vigie standby run`.' }),
  checkInterval: setting({ env: 'CHECK_INTERVAL', kind: int(1), default: 60, applies: 'restart', group: 'standby',
    doc: 'Seconds between two checks of the primary (seconds, as in the seed).' }),
  fastCheckInterval: setting({ env: 'FAST_CHECK_INTERVAL', kind: int(1), default: 5, applies: 'restart', group: 'standby',
    doc: 'Seconds between checks while a failure or a recovery is being confirmed (HAProxy\'s `fastinter`): a dead primary is noticed in about CHECK_INTERVAL + (FAILURE_THRESHOLD − 1) × FAST_CHECK_INTERVAL.' }),
  failureThreshold: setting({ env: 'FAILURE_THRESHOLD', kind: int(1), default: 3, applies: 'restart', group: 'standby',
    doc: 'Failed checks in a row that activate the standby.' }),
  recoveryThreshold: setting({ env: 'RECOVERY_THRESHOLD', kind: int(1), default: 3, applies: 'restart', group: 'standby',
    doc: 'Healthy checks of the primary in a row before the standby is stopped again (with MIN_ACTIVE_SECONDS).' }),
  minActiveSeconds: setting({ env: 'MIN_ACTIVE_SECONDS', kind: int(0), default: 300, applies: 'restart', group: 'standby',
    doc: 'Shortest time the standby stays active before failing back (keepalived\'s `preempt_delay`), so a flapping primary does not bounce the standby.' }),
  standbyCheckTimeout: setting({ env: 'STANDBY_CHECK_TIMEOUT', kind: int(1), default: 10, applies: 'restart', group: 'standby',
    doc: 'Seconds one health check (primary or standby) may take; slower counts as a failure.' }),
  standbyReadyTimeout: setting({ env: 'STANDBY_READY_TIMEOUT', kind: int(1), default: 300, applies: 'restart', group: 'standby',
    doc: 'Seconds to wait for FLY_HEALTH_URL to answer healthy after activating the standby; past it the failover is announced with a warning.' }),
  flyHealthUrl: setting({ env: 'FLY_HEALTH_URL', kind: url(['http', 'https']), applies: 'restart', group: 'standby',
    doc: 'Health URL of the standby once activated (any 2xx is healthy). Unset: the standby is announced as soon as it is started.' }),
  stateDir: setting({ env: 'STATE_DIR', kind: str(), applies: 'restart', group: 'standby',
    doc: 'Folder holding the primary\'s state, copied to RCLONE_REMOTE:RCLONE_PATH on failover and back on fail-back. Unset: no sync.' }),
  rcloneRemote: setting({ env: 'RCLONE_REMOTE', kind: str(), applies: 'restart', group: 'standby',
    doc: 'rclone remote that receives the state before the standby takes over (a name from `rclone config`). Unset: RCLONE_PATH is a local folder.' }),
  rclonePath: setting({ env: 'RCLONE_PATH', kind: str(), applies: 'restart', group: 'standby',
    doc: 'Path on the rclone remote (or a local folder when no remote is set). Required with STATE_DIR.' }),
  rcloneBin: setting({ env: 'RCLONE_BIN', kind: str(), default: 'rclone', applies: 'restart', group: 'standby',
    doc: 'The rclone program (a name on PATH or a path).' }),
  syncTimeout: setting({ env: 'SYNC_TIMEOUT', kind: int(1), default: 300, applies: 'restart', group: 'standby',
    doc: 'Seconds one `rclone copy` may take; past it rclone is killed, the sync counts as failed (a WARNING) and the failover goes on from the last good copy.' }),
  standbyStartCommand: setting({ env: 'STANDBY_START_COMMAND', kind: str(), applies: 'restart', group: 'standby',
    doc: 'With MACHINE_PROVIDER=local: the shell command that starts the standby. It runs detached in its own process group (it outlives a restart of the monitor) and is stopped with SIGTERM on fail-back.' }),
  standbyStatusFile: setting({ env: 'STANDBY_STATUS_FILE', kind: str(), applies: 'restart', group: 'standby',
    doc: 'The monitor\'s state (JSON, rewritten atomically after every transition). The log file `standby.log`, the standby\'s pid file and the notification outbox live beside it. Default: `<VIGIE_DATA_DIR>/standby/status.json`.' }),
  standbyActiveUrl: setting({ env: 'STANDBY_ACTIVE_URL', kind: url(['http', 'https']), applies: 'restart', group: 'standby',
    doc: 'On a coordinator: the standby monitor\'s `GET /api/v1/standby/active`. Set, a scheduled alert cycle runs only while the monitor names this side (STANDBY_SIDE) active; no answer counts as "not active" (fail closed). Unset: cycles run as usual.' }),
  standbySide: setting({ env: 'STANDBY_SIDE', kind: oneOf(['primary', 'standby']), default: 'primary', applies: 'restart', group: 'standby',
    doc: 'Which side this coordinator is, for STANDBY_ACTIVE_URL: the primary site or the standby one.' }),
  standbyHost: setting({ env: 'STANDBY_HOST', kind: str(), default: '127.0.0.1', applies: 'restart', group: 'standby',
    doc: 'Address of the monitor\'s endpoint (`GET /api/v1/standby/active`, status, metrics). Loopback by default: set an address the primary can reach when it runs on another host.' }),
  standbyPort: setting({ env: 'STANDBY_PORT', kind: int(0, 65535), default: 8090, applies: 'restart', group: 'standby',
    doc: 'Port of the monitor\'s endpoint; 0 picks a free one.' }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
