import type { ColumnType, Generated } from 'kysely';

// Row shapes as the drivers see them. Times are epoch ms (BIGINT, parsed to number on pg);
// JSON columns are TEXT; booleans are written 0/1 and read back as 0/1 (SQLite) or
// true/false (PostgreSQL) — the repositories turn all of these into plain JS values.

/** A boolean column: written as 0/1, read as number or boolean depending on the backend. */
type Bool = ColumnType<number | boolean, number, number>;

export interface WorkersTable {
  id: string;
  name: string;
  region: string;
  url: string;
  origin: string;
  /** JSON of the config entry a run-time change overrode; null when the row is the file's entry. */
  config_base: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkerStatusTable {
  worker_id: string;
  is_healthy: Bool;
  last_check_at: number | null;
  last_error: string | null;
  banned_until: number | null;
  ban_count: number;
  ban_reason: string | null;
  request_count: number;
  success_count: number;
  error_count: number;
  updated_at: number;
}

export interface CredentialsTable {
  name: string;
  value: string;
  source: string;
  updated_at: number;
  last_refresh_at: number;
}

export interface AlertsTable {
  id: string;
  name: string;
  source: string;
  query: string;
  price_min: number | null;
  price_max: number | null;
  conditions: string;
  include_words: string;
  exclude_words: string;
  notify: string;
  active: Bool;
  created_at: number;
  updated_at: number;
  /** Migration 002; defaults to false when not written. */
  notify_existing: ColumnType<number | boolean, number | undefined, number>;
  /** Migration 002: when the alert's first check was recorded (see alerts/matches.ts). */
  baseline_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface AlertRunsTable {
  id: string;
  started_at: number;
  ended_at: number | null;
  trigger: string;
  status: string;
  slot_key: string | null;
  fencing_token: number | null;
  workers: string;
  alerts_total: number;
  alerts_checked: number;
  alerts_failed: number;
  matches: number;
  errors: number;
  summary: string | null;
  owner: string | null;
  deadline_at: number | null;
  alert_ids: string | null;
}

export interface SeenItemsTable {
  alert_id: string;
  item_id: string;
  first_seen_at: number;
}

export interface MatchesTable {
  id: string;
  alert_id: string;
  item_id: string;
  item: string;
  run_id: string | null;
  created_at: number;
}

export interface NotificationOutboxTable {
  id: string;
  match_id: string | null;
  channel: string;
  target: string;
  payload: string;
  idempotency_key: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface FailoverHistoryTable {
  id: Generated<number>;
  worker_id: string;
  step: string;
  from_value: string | null;
  to_value: string | null;
  reason: string;
  ok: Bool;
  error: string | null;
  at: number;
}

/** The whole schema, as Kysely sees it. */
/** The newest fencing number accepted per lock. */
export interface FencingTable {
  name: string;
  token: number;
  updated_at: number;
}

export interface Database {
  workers: WorkersTable;
  worker_status: WorkerStatusTable;
  credentials: CredentialsTable;
  alerts: AlertsTable;
  alert_runs: AlertRunsTable;
  seen_items: SeenItemsTable;
  matches: MatchesTable;
  notification_outbox: NotificationOutboxTable;
  failover_history: FailoverHistoryTable;
  fencing: FencingTable;
}

/** Which engine a store runs on. */
export type StoreKind = 'sqlite' | 'postgres';
