// Pure helpers of bench/scale (tested in lib.test.ts): what the stand-ins answer, the HAProxy
// config, the alerts file, and how figures are printed beside their goals.

/** Which of the stand-ins' counters a request belongs to. */
export function classifyRequest(method, url) {
  const [path, query = ''] = url.split('?', 2);
  if (method === 'GET' && path === '/api/v1/worker/health') return query.includes('via=haproxy') ? 'haproxyHealth' : 'coordinatorHealth';
  if (method === 'POST' && path === '/api/v1/worker/execute') return 'execute';
  return 'other';
}

/** The answer to a command body: a check-alerts checks every alert it was given, at once, and finds nothing. */
export function checkAlertsAnswer(text) {
  let command;
  try {
    command = JSON.parse(text);
  } catch {
    return { body: JSON.stringify({ success: false, error: 'INVALID_JSON', httpStatus: 400 }), alertsChecked: 0 };
  }
  if (command?.type !== 'check-alerts') return { body: '{"success":true,"data":null}', alertsChecked: 0 };
  const n = Array.isArray(command.payload?.alerts) ? command.payload.alerts.length : 0;
  return { body: JSON.stringify({ success: true, data: { matches: [], alertsChecked: n, itemsChecked: 0 } }), alertsChecked: n };
}

/**
 * HAProxy over the same workers, as an operator would check them: `option httpchk` on the
 * worker health route, `check inter <interval>`, one thread. No frontend traffic: only the
 * checks run, so its CPU is the checks' cost.
 */
export function haproxyConfig({ host, ports, intervalMs, timeoutMs, statsPort }) {
  return [
    'global',
    '    nbthread 1',
    `    maxconn ${Math.max(4096, ports.length + 100)}`,
    'defaults',
    '    mode http',
    `    timeout connect ${timeoutMs}ms`,
    `    timeout check ${timeoutMs}ms`,
    '    timeout client 30s',
    '    timeout server 30s',
    'frontend stats',
    `    bind 127.0.0.1:${statsPort}`,
    '    stats enable',
    '    stats uri /stats',
    'backend workers',
    '    balance roundrobin',
    // ?via=haproxy: the stand-ins count these apart from the coordinator's checks.
    '    option httpchk GET /api/v1/worker/health?via=haproxy',
    ...ports.map((p, i) => `    server w${i + 1} ${host}:${p} check inter ${intervalMs}`),
    '',
  ].join('\n');
}

/** `n` alerts as NDJSON, deterministic (alert i is the same in every run). */
export function alertsNdjson(n, from = 0) {
  let out = '';
  for (let i = from; i < from + n; i++) {
    out += `${JSON.stringify({ name: `bench alert ${i}`, source: 'bench', query: `item ${i % 97}`, priceMax: 10 + (i % 490), includeWords: i % 3 === 0 ? ['vintage'] : [], notify: [{ channel: 'log' }] })}\n`;
  }
  return out;
}

/**
 * A figure beside its goal: `at most` (≤) or `at least` (≥), with OK or MISSED; `n/a` when the
 * figure could not be measured.
 */
export function verdict(value, goal, direction) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  const met = direction === 'le' ? value <= goal : value >= goal;
  return met ? 'OK' : 'MISSED';
}

/** A number with `d` decimals, or `-`. */
export function fmt(n, d = 0) {
  return n === undefined || n === null || Number.isNaN(n) ? '-' : Number(n).toFixed(d);
}

/** Megabytes (MiB) from bytes. */
export const mb = (bytes) => (bytes === undefined ? undefined : bytes / 1_048_576);

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
