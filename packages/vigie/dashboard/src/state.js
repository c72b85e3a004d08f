// The page's state as signals, loaded from the coordinator's reads and kept current by its
// live feed (GET /api/v1/events). The feed says what changed; for changes that carry all that
// a view needs (health, bans, cycle progress) the event is applied as it is, for the others the
// affected read is loaded again.
import { batch, signal } from '@preact/signals';
import { describeError } from './api.js';
import { applyCycleEvent } from './cycle-progress.js';

export const workers = signal([]);
export const runs = signal([]);
export const matches = signal([]);
export const health = signal(null);
export const settings = signal(null);
export const cycle = signal(null);
export const failovers = signal([]);
/** The live feed: `connecting`, `open` or `retrying`, with the coordinator it reads from. */
export const feed = signal({ state: 'connecting', node: null, message: null });
/** The last error of a load or an action, shown in the status line. */
export const problem = signal(null);
/** Now, every second: ban countdowns and "last seen" move without a reload. */
export const now = signal(Date.now());

let api = null;
let stream = null;
const timers = [];

/** Starts loading and listening with a connected client; returns the stop function. */
export function start(client) {
  api = client;
  stream = api.stream('/api/v1/events', {
    onOpen: ({ node }) => (feed.value = { state: 'open', node, message: null }),
    onError: (err, { willRetry }) => (feed.value = { state: willRetry ? 'retrying' : 'stopped', node: null, message: describeError(err) }),
    onMessage: (msg) => onEvent(msg.type, JSON.parse(msg.data)),
  });
  timers.push(setInterval(() => (now.value = Date.now()), 1000));
  // Counters, outbox delivery and the lease move without events: read them again now and then.
  timers.push(setInterval(() => void Promise.all([loadFleet(), loadMatches(), loadHealth()]), 10_000));
  void loadAll();
  return stop;
}

function stop() {
  stream?.close();
  for (const t of timers.splice(0)) clearInterval(t);
  api?.close();
  api = null;
}

/** The client, for actions (buttons). */
export function client() {
  return api;
}

async function load(path, apply) {
  if (!api) return;
  try {
    apply(await api.getJson(path));
  } catch (err) {
    problem.value = `Could not load ${path}: ${describeError(err)}`;
  }
}

export const loadFleet = () => load('/api/v1/worker/main/stats', (s) => (workers.value = s.workers));
export const loadRuns = () => load('/api/v1/alerts/runs?limit=30', (r) => (runs.value = r.runs));
export const loadMatches = () => load('/api/v1/dashboard/matches?limit=50', (r) => (matches.value = r.matches));
export const loadHealth = () => load('/api/health', (h) => (health.value = h));
export const loadConfig = () => load('/api/v1/config', (c) => (settings.value = c.settings));

export function loadAll() {
  return Promise.all([loadFleet(), loadRuns(), loadMatches(), loadHealth(), loadConfig()]);
}

function patchWorker(id, fields) {
  workers.value = workers.value.map((w) => (w.id === id ? { ...w, ...fields } : w));
}

/** Applies one event of the live feed. */
export function onEvent(type, data) {
  switch (type) {
    case 'hello':
    case 'reload':
      // A new stream, or one that could not be replayed (other coordinator, gap): start afresh.
      void loadAll();
      return;
    case 'worker.health':
      patchWorker(data.workerId, { isHealthy: data.healthy, lastError: data.reason, lastSeenAt: data.healthy ? new Date(data.at).toISOString() : undefined });
      return;
    case 'worker.banned':
      patchWorker(data.workerId, { isBanned: true, bannedUntil: new Date(data.until).toISOString(), banReason: data.reason });
      return;
    case 'worker.unbanned':
      patchWorker(data.workerId, { isBanned: false, bannedUntil: null, banReason: null });
      return;
    case 'worker.added':
    case 'worker.removed':
    case 'worker.updated':
      void loadFleet();
      return;
    case 'cycle.started':
    case 'cycle.batch':
    case 'cycle.redispatched':
      cycle.value = applyCycleEvent(cycle.value, type, data);
      return;
    case 'cycle.ended':
      batch(() => (cycle.value = applyCycleEvent(cycle.value, type, data)));
      void Promise.all([loadRuns(), loadFleet()]);
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
        failovers.value = [{ type, ...data }, ...failovers.value].slice(0, 50);
        void loadFleet();
      }
  }
}
