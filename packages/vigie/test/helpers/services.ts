// Services for integration tests (PostgreSQL, Redis). Each is probed once per test file.
// Down + VIGIE_REQUIRE_SERVICES=1 (CI): the test file fails, naming the service and how to
// start it. Down otherwise: the helpers return undefined, tests `describe.skipIf(!url)`, and
// one warning says why.
//
//   const pgUrl = await postgresUrl();
//   describe.skipIf(!pgUrl)('… on PostgreSQL', () => { … });
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { maskUrl as redact } from '../../src/observability/secrets.js';

export type Service = 'postgres' | 'redis';

const PROBE_TIMEOUT_MS = 2000;

const SERVICES: Record<Service, { label: string; envVar: string; url: string; start: string }> = {
  postgres: {
    label: 'PostgreSQL',
    envVar: 'DATABASE_TEST_URL',
    url: process.env.DATABASE_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  redis: {
    label: 'Redis',
    envVar: 'REDIS_TEST_URL',
    url: process.env.REDIS_TEST_URL || 'redis://127.0.0.1:6379',
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
};

const probes = new Map<Service, Promise<string | undefined>>();

/** The service's URL if it answers; undefined (tests skip) or a thrown Error (CI) if not. */
export function serviceUrl(service: Service): Promise<string | undefined> {
  let probe = probes.get(service);
  if (!probe) {
    probe = check(service);
    probes.set(service, probe);
  }
  return probe;
}

/** DATABASE_TEST_URL if PostgreSQL answers, else undefined (or throws under VIGIE_REQUIRE_SERVICES=1). */
export const postgresUrl = (): Promise<string | undefined> => serviceUrl('postgres');

/** REDIS_TEST_URL if Redis answers, else undefined (or throws under VIGIE_REQUIRE_SERVICES=1). */
export const redisUrl = (): Promise<string | undefined> => serviceUrl('redis');

/** Creates a uniquely named PostgreSQL schema so parallel test files never share tables. */
export async function tempPgSchema(url: string): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `vigie_test_${randomBytes(6).toString('hex')}`;
  await withPgClient(url, (c) => c.query(`create schema ${schema}`));
  return {
    schema,
    drop: () => withPgClient(url, (c) => c.query(`drop schema if exists ${schema} cascade`)).then(() => undefined),
  };
}

async function check(service: Service): Promise<string | undefined> {
  const s = SERVICES[service];
  try {
    await (service === 'postgres' ? probePostgres(s.url) : probeRedis(s.url));
    return s.url;
  } catch (err) {
    const reason = (err as Error).message || (err as { code?: string }).code || String(err);
    const where = `${s.label} at ${redact(s.url)} (${reason})`;
    if (process.env.VIGIE_REQUIRE_SERVICES === '1') {
      throw new Error(
        `VIGIE_REQUIRE_SERVICES=1 but ${where} is not reachable. Start it with: ${s.start} — or point ${s.envVar} at a running one.`,
      );
    }
    console.warn(
      `[vigie tests] SKIPPING tests that need ${where}. Start it with: ${s.start} (or set ${s.envVar}); ` +
        'set VIGIE_REQUIRE_SERVICES=1 to make this an error.',
    );
    return undefined;
  }
}

async function withPgClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function probePostgres(url: string): Promise<void> {
  await withPgClient(url, (c) => c.query({ text: 'select 1', query_timeout: PROBE_TIMEOUT_MS } as pg.QueryConfig));
}

/** A raw RESP PING (AUTH first if the URL has a password): no Redis client needed. */
function probeRedis(url: string): Promise<void> {
  const u = new URL(url);
  const lines: string[] = [];
  if (u.password) {
    const user = decodeURIComponent(u.username);
    lines.push(resp(user ? ['AUTH', user, decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]));
  }
  lines.push(resp(['PING']));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    let buf = '';
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    socket.on('error', (err) => done(err));
    socket.on('connect', () => socket.write(lines.join('')));
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      if (buf.startsWith('-')) done(new Error(buf.trim()));
      else if (buf.includes('+PONG')) done();
    });
  });
}

function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

