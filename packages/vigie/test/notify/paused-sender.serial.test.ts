// A notification sender paused (SIGSTOP) in the middle of a webhook send, while the receiver
// answers (issue 18 §3). On resume, the send timeout would run before the I/O that holds the
// answer: the send was taken for a timeout and the notification sent again. The sender, a real
// process, must take the answer and send the notification once.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { recordMatches } from '../../src/alerts/matches.js';
import { OutboxSender } from '../../src/notify/outbox-sender.js';
import { createWebhookNotifier } from '../../src/notify/webhook.js';
import { openStore, type OutboxEntry, type Store } from '../../src/store/index.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { tempDir } from '../helpers/vigie-process.js';
import { sleep } from '../lock/helpers.js';
import { item } from './helpers.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

// The sender process: the real OutboxSender and webhook notifier over the same SQLite file.
const SENDER = (leaseMs: number) => `
import { OutboxSender } from '${DIST}notify/outbox-sender.js';
import { createWebhookNotifier } from '${DIST}notify/webhook.js';
import { createLogger } from '${DIST}observability/logger.js';
import { openStore } from '${DIST}store/index.js';
const store = await openStore({ dataDir: process.env.DATA_DIR });
const logger = createLogger({ level: 'info', format: 'json' });
const sender = new OutboxSender({ store, notifiers: [createWebhookNotifier()], logger, pollIntervalMs: 100, sendTimeoutMs: 1500, leaseMs: ${leaseMs}, backoff: { baseMs: 300, random: () => 0 } });
sender.start();
// The sender's poll timer is unref'd (it must not hold a coordinator open): this process holds
// itself open until SIGTERM, or it could end before its first poll.
const alive = setInterval(() => {}, 1 << 30);
process.on('SIGTERM', async () => { clearInterval(alive); await sender.stop(); await store.close(); process.exit(0); });
`;

const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
  }
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a sender paused during a webhook send', () => {
  it('takes the answer that arrived during the pause and sends the notification once', async () => {
    const dir = tempDir('vigie-paused-');
    cleanups.push(dir.cleanup);
    const requests: string[] = [];
    let sender: ChildProcess | undefined;
    // The receiver: on the first request, pause the sender, answer, keep it paused 4 s (well past
    // its 1.5 s send timeout), resume it. Later requests are answered at once.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push(String(req.headers['idempotency-key']));
        if (requests.length > 1) return void res.writeHead(204).end();
        sender!.kill('SIGSTOP');
        res.writeHead(204).end();
        setTimeout(() => sender!.kill('SIGCONT'), 4000);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const store = await openStore({ dataDir: dir.path });
    cleanups.push(() => store.close());
    const entry = await oneEntry(store, hook);
    const spawned = spawnSender(dir.path, 60_000);
    sender = spawned.child;
    const output = () => spawned.output();

    await expectSent(store, entry.id, 40_000, output);
    expect(requests, output()).toEqual([entry.idempotencyKey]);
    expect(await store.outbox.get(entry.id)).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
  }, 60_000);

  it('past its lease, leaves the entry to the sender that took it over: one send each, none retried by the paused one', async () => {
    const dir = tempDir('vigie-paused-');
    cleanups.push(dir.cleanup);
    const requests: string[] = [];
    const held: http.ServerResponse[] = [];
    let sender: ChildProcess | undefined;
    let takeover: OutboxSender | undefined;
    // The paused sender's request is never answered; the takeover's is answered 2 s after the
    // paused sender resumed, so that both are in flight when the paused one settles its send.
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push(String(req.headers['idempotency-key']));
        if (requests.length === 1) {
          sender!.kill('SIGSTOP');
          held.push(res);
          // Its lease (3 s) ends during the pause; the takeover starts polling now.
          takeover!.start();
          setTimeout(() => sender!.kill('SIGCONT'), 5000);
        } else if (requests.length === 2) {
          setTimeout(() => res.writeHead(204).end(), 4000);
        } else {
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const store: Store = await openStore({ dataDir: dir.path });
    cleanups.push(() => store.close());
    const entry = await oneEntry(store, hook);
    const out = captureLogger();
    takeover = new OutboxSender({ store, notifiers: [createWebhookNotifier()], logger: out.logger, pollIntervalMs: 100, sendTimeoutMs: 10_000, leaseMs: 60_000 });
    cleanups.push(() => takeover!.stop());

    const spawned = spawnSender(dir.path, 3000);
    sender = spawned.child;
    const output = () => spawned.output();

    await expectSent(store, entry.id, 45_000, output);
    // The documented window: the entry was sent once by each owner of its claim, never retried by the paused one.
    expect(requests, output()).toEqual([entry.idempotencyKey, entry.idempotencyKey]);
    expect(await store.outbox.get(entry.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(output()).toContain('not retried here, the current sender owns it');
  }, 60_000);
});

/** One webhook notification queued in the outbox of `store`. */
async function oneEntry(store: Store, hook: string): Promise<OutboxEntry> {
  const alert = await store.alerts.create({ name: 'Lamps', source: 'demo', query: 'lamp', notify: [{ channel: 'webhook', url: hook }] });
  const runId = (await store.alertRuns.start({ trigger: 'manual' })).id;
  await recordMatches(store, { runId, alert, candidates: [], now: Date.now() });
  await recordMatches(store, { runId, alert, candidates: [item('a')], now: Date.now() });
  const [entry] = await store.outbox.due(Date.now(), 10);
  return entry!;
}

/** The sender process over the SQLite store in `dataDir`, with the given outbox lease; stopped by afterEach. */
function spawnSender(dataDir: string, leaseMs: number): { child: ChildProcess; output: () => string } {
  const script = join(dataDir, `sender-${leaseMs}.mjs`);
  writeFileSync(script, SENDER(leaseMs));
  let output = '';
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  // A sender that ends early would otherwise show only as a notification never sent.
  child.on('exit', (code, signal) => (output += `\n[sender process ended: code ${code}, signal ${signal}]`));
  return { child, output: () => output };
}

/**
 * Waits until the entry is sent (failing after `ms`: generous, since the sender is a process
 * that starts from cold beside a loaded test run), then long enough for a retry (300 ms after a
 * timeout) to show.
 */
async function expectSent(store: Store, id: string, ms: number, output: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && (await store.outbox.get(id))?.status !== 'sent') await sleep(100);
  expect((await store.outbox.get(id))?.status, output()).toBe('sent');
  await sleep(1500);
}
