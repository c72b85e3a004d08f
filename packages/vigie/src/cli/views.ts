import type { Alert } from '../store/index.js';
import type { TableView } from './output.js';

/**
 * What a person reads of each list answer: the few columns that matter, as strings. Pure
 * functions of the API's JSON (which `--json` and pipes keep printing unchanged).
 */

interface StatsWorker {
  id: string;
  name: string;
  region: string;
  isHealthy: boolean;
  isBanned: boolean;
  bannedUntil?: number | null;
  banReason?: string | null;
  requestCount: number;
  successRate: number;
  lastError?: string | null;
}

/** `vigie stats`. */
export function statsView(a: { totalWorkers: number; availableWorkers: number; bannedWorkers: number; unhealthyWorkers: number; workers: StatsWorker[] }): TableView {
  return {
    before: [`${a.totalWorkers} worker(s): ${a.availableWorkers} available, ${a.bannedWorkers} banned, ${a.unhealthyWorkers} unhealthy`],
    head: ['ID', 'NAME', 'REGION', 'STATE', 'REQUESTS', 'SUCCESS', 'LAST ERROR'],
    rows: a.workers.map((w) => [
      w.id,
      w.name,
      w.region,
      w.isBanned ? `banned${w.bannedUntil ? ` until ${clock(w.bannedUntil)}` : ''}` : w.isHealthy ? 'healthy' : 'unhealthy',
      String(w.requestCount),
      `${w.successRate}%`,
      cut(w.banReason ?? w.lastError ?? '', 60),
    ]),
    empty: 'No worker registered. Add one: vigie workers add <id> <url>',
  };
}

/** `vigie workers list`. */
export function workersView(a: { workers: Array<{ id: string; name: string; region: string; url: string; origin?: string }> }): TableView {
  return {
    head: ['ID', 'NAME', 'REGION', 'URL', 'FROM'],
    rows: a.workers.map((w) => [w.id, w.name, w.region, w.url, w.origin ?? '']),
    empty: 'No worker registered. Add one: vigie workers add <id> <url>',
  };
}

/** The fields of a stored alert that the table shows. */
type AlertRow = Pick<Alert, 'id' | 'name' | 'source' | 'query' | 'priceMin' | 'priceMax' | 'active' | 'notify'>;

/** `vigie alerts list`. */
export function alertsView(a: { alerts: AlertRow[] }): TableView {
  return {
    head: ['ID', 'NAME', 'SOURCE', 'QUERY', 'PRICE', 'STATE', 'NOTIFY'],
    rows: a.alerts.map((x) => [x.id, cut(x.name, 40), x.source, cut(x.query, 30), priceRange(x.priceMin, x.priceMax), x.active ? 'active' : 'paused', x.notify.map((n) => n.channel).join(',')]),
    empty: 'No alert. Add one: vigie alerts add --name <name> --source <source> --query <query>',
  };
}

interface MatchRow {
  alertId: string;
  createdAt: number;
  item: { title: string; price?: number | null; currency?: string | null; url?: string | null };
}

/** `vigie matches`; `alertNames` maps ids to names when the alerts could be read. */
export function matchesView(a: { matches: MatchRow[] }, alertNames: ReadonlyMap<string, string> = new Map()): TableView {
  return {
    head: ['FOUND', 'ALERT', 'TITLE', 'PRICE', 'URL'],
    rows: a.matches.map((m) => [
      clock(m.createdAt),
      cut(alertNames.get(m.alertId) ?? m.alertId, 30),
      cut(m.item.title, 50),
      m.item.price == null ? '' : `${m.item.price}${m.item.currency ? ` ${m.item.currency}` : ''}`,
      m.item.url ?? '',
    ]),
    empty: 'No match yet.',
  };
}

interface RunRow {
  startedAt: number;
  endedAt: number | null;
  trigger: string;
  status: string;
  alertsTotal: number;
  alertsChecked: number;
  matches: number;
  errors: number;
  summary?: { workersOk?: number; workersFailed?: number } | null;
}

/** `vigie cycle list`. */
export function runsView(a: { runs: RunRow[] }): TableView {
  return {
    head: ['STARTED', 'TRIGGER', 'STATUS', 'DURATION', 'ALERTS', 'MATCHES', 'ERRORS', 'WORKERS OK/FAILED'],
    rows: a.runs.map((r) => [
      clock(r.startedAt),
      r.trigger,
      r.status,
      r.endedAt == null ? 'running' : duration(r.endedAt - r.startedAt),
      `${r.alertsChecked}/${r.alertsTotal}`,
      String(r.matches),
      String(r.errors),
      r.summary ? `${r.summary.workersOk ?? 0}/${r.summary.workersFailed ?? 0}` : '',
    ]),
    empty: 'No cycle has run yet. Run one: vigie cycle run',
  };
}

interface LockRow {
  key: string;
  backend: string;
  held: boolean;
  host: string | null;
  pid: number | null;
  fencing: number | null;
  ttlMs: number | null;
}

/** `vigie lock status`. */
export function locksView(views: LockRow[]): TableView {
  return {
    head: ['LOCK', 'BACKEND', 'HOLDER', 'FENCING', 'TTL LEFT'],
    rows: views.map((v) => [
      v.key,
      v.backend,
      v.held ? `${v.host ?? '?'}${v.pid != null ? ` pid ${v.pid}` : ''}` : 'free',
      v.fencing == null ? '' : String(v.fencing),
      v.ttlMs == null ? '' : duration(v.ttlMs),
    ]),
  };
}

function priceRange(min: number | null, max: number | null): string {
  if (min == null && max == null) return 'any';
  if (min == null) return `≤ ${max}`;
  if (max == null) return `≥ ${min}`;
  return `${min}–${max}`;
}

/** Local date and time to the second: what a person compares with their clock. */
function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
