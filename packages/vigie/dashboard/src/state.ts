// The page's state as signals, loaded from the coordinator's reads and kept current by its
// live feed (GET /api/v1/events). The feed says what changed; for changes that carry all that
// a view needs (health, bans, cycle progress) the event is applied as it is, for the others the
// affected read is loaded again.
import { signal } from '@preact/signals';
import type { StreamHandle, VigieClient } from '@vigie/client';
import { describeError } from './api.js';
import { applyCycleEvent, type CycleEvent, type CycleProgress } from './cycle-progress.js';
import type { FeedData, FleetEventMap, HealthAnswer, MatchRow, RunRow, WorkerRow } from './types.js';

export interface FailoverEntry {
  type: string;
  workerId: string;
  text: string;
}

export const workers = signal<WorkerRow[]>([]);
export const runs = signal<RunRow[]>([]);
export const matches = signal<MatchRow[]>([]);
export const health = signal<HealthAnswer | null>(null);
export const settings = signal<Record<string, unknown> | null>(null);
export const cycle = signal<CycleProgress | null>(null);
export const failovers = signal<FailoverEntry[]>([]);
/** The live feed: `connecting`, `open`, `retrying` or `stopped`, with the coordinator it reads from. */
export const feed = signal<{ state: 'connecting' | 'open' | 'retrying' | 'stopped'; node: string | null; message: string | null }>({ state: 'connecting', node: null, message: null });
/** The last error of a load or an action, shown in the status line. */
export const problem = signal<string | null>(null);
/** Now, every second: ban countdowns and "last seen" move without a reload. */
export const now = signal(Date.now());

let api: VigieClient | null = null;
let stream: StreamHandle | null = null;
const timers: ReturnType<typeof setTimeout>[] = [];

/** Starts loading and listening with a connected client; returns the stop function. */
export function start(client: VigieClient): () => void {
  api = client;
  stream = api.stream('/api/v1/events', {
    onOpen: ({ node }) => (feed.value = { state: 'open', node, message: null }),
    onError: (err, { willRetry }) => (feed.value = { state: willRetry ? 'retrying' : 'stopped', node: null, message: describeError(err) }),
    onMessage: (msg) => onEvent(msg.type, JSON.parse(msg.data) as Record<string, unknown>),
  });
  timers.push(setInterval(() => (now.value = Date.now()), 1000));
  // Counters, outbox delivery and the lease move without events: read them again now and then.
  timers.push(setInterval(() => void Promise.all([loadFleet(), loadMatches(), loadHealth()]), 10_000));
  void loadAll();
  return stop;
}

function stop(): void {
  stream?.close();
  for (const t of timers.splice(0)) clearInterval(t);
  void api?.close();
  api = null;
}

/** The connected client, for actions (buttons). */
export function client(): VigieClient {
  if (!api) throw new Error('not logged in');
  return api;
}

async function load<T>(path: string, apply: (answer: T) => void): Promise<void> {
  if (!api) return;
  try {
    apply(await api.getJson<T>(path));
  } catch (err) {
    problem.value = `Could not load ${path}: ${describeError(err)}`;
  }
}

export const loadFleet = () => load<{ workers: WorkerRow[] }>('/api/v1/worker/main/stats', (s) => (workers.value = s.workers));
export const loadRuns = () => load<{ runs: RunRow[] }>('/api/v1/alerts/runs?limit=30', (r) => (runs.value = r.runs));
export const loadMatches = () => load<{ matches: MatchRow[] }>('/api/v1/dashboard/matches?limit=50', (r) => (matches.value = r.matches));
export const loadHealth = () => load<HealthAnswer>('/api/health', (h) => (health.value = h));
export const loadConfig = () => load<{ settings: Record<string, unknown> }>('/api/v1/config', (c) => (settings.value = c.settings));

export function loadAll(): Promise<unknown> {
  return Promise.all([loadFleet(), loadRuns(), loadMatches(), loadHealth(), loadConfig()]);
}

function patchWorker(id: string, fields: Partial<WorkerRow>): void {
  workers.value = workers.value.map((w) => (w.id === id ? { ...w, ...fields } : w));
}

function describeFailover(type: string, data: Record<string, unknown>): string {
  if (type === 'failover.step') {
    const d = data as unknown as FeedData<'failover.step'>;
    return `${d.step} ${d.ok ? '✔' : '✖'} ${d.reason}`;
  }
  if (type === 'failover.exhausted') return `✖ ladder exhausted (${(data as unknown as FeedData<'failover.exhausted'>).reason})`;
  return `${(data as unknown as FeedData<'failover.streak'>).streak} blocks in a row`;
}

/** Applies one message of the live feed (its type and parsed data). */
export function onEvent(type: string, data: Record<string, unknown>): void {
  const as = <K extends keyof FleetEventMap>() => data as unknown as FeedData<K>;
  switch (type) {
    case 'hello':
    case 'reload':
      // A new stream, or one that could not be replayed (other coordinator, gap): start afresh.
      void loadAll();
      return;
    case 'worker.health': {
      const d = as<'worker.health'>();
      patchWorker(d.workerId, { isHealthy: d.healthy, lastError: d.reason, ...(d.healthy ? { lastSeenAt: new Date(d.at).toISOString() } : {}) });
      return;
    }
    case 'worker.banned': {
      const d = as<'worker.banned'>();
      patchWorker(d.workerId, { isBanned: true, bannedUntil: new Date(d.until).toISOString(), banReason: d.reason });
      return;
    }
    case 'worker.unbanned':
      patchWorker(as<'worker.unbanned'>().workerId, { isBanned: false, bannedUntil: null, banReason: null });
      return;
    case 'worker.added':
    case 'worker.removed':
    case 'worker.updated':
      void loadFleet();
      return;
    case 'cycle.started':
    case 'cycle.batch':
    case 'cycle.redispatched':
    case 'cycle.ended':
      cycle.value = applyCycleEvent(cycle.value, { type, data } as CycleEvent);
      if (type === 'cycle.ended') void Promise.all([loadRuns(), loadFleet()]);
      return;
    case 'matches.recorded':
      // Again a moment later: the outbox sends right after recording, and says so by no event.
      void loadMatches();
      setTimeout(() => void loadMatches(), 2000);
      return;
    case 'leadership.gained':
    case 'leadership.lost':
      void loadHealth();
      return;
    case 'config.changed':
      void loadConfig();
      return;
    default:
      if (type.startsWith('failover.')) {
        const workerId = String(data['workerId']);
        failovers.value = [{ type, workerId, text: describeFailover(type, data) }, ...failovers.value].slice(0, 50);
        void loadFleet();
      }
  }
}
