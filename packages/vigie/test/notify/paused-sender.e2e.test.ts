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
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/vigie-process.js';
import { sleep } from '../lock/helpers.js';
import { item } from './helpers.js';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

// The sender process: the real OutboxSender and webhook notifier over the same SQLite file.
const SENDER = `
import { OutboxSender } from '${DIST}notify/outbox-sender.js';
import { createWebhookNotifier } from '${DIST}notify/webhook.js';
import { createLogger } from '${DIST}observability/logger.js';
import { openStore } from '${DIST}store/index.js';
const store = await openStore({ dataDir: process.env.DATA_DIR });
const logger = createLogger({ level: 'info', format: 'json' });
const sender = new OutboxSender({ store, notifiers: [createWebhookNotifier()], logger, pollIntervalMs: 100, sendTimeoutMs: 1500, leaseMs: 60_000, backoff: { baseMs: 300, random: () => 0 } });
sender.start();
process.on('SIGTERM', async () => { await sender.stop(); await store.close(); process.exit(0); });
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
    const alert = await store.alerts.create({ name: 'Lamps', source: 'demo', query: 'lamp', notify: [{ channel: 'webhook', url: hook }] });
    const runId = (await store.alertRuns.start({ trigger: 'manual' })).id;
    await recordMatches(store, { runId, alert, candidates: [], now: Date.now() });
    await recordMatches(store, { runId, alert, candidates: [item('a')], now: Date.now() });
    const [entry] = await store.outbox.due(Date.now(), 10);
    expect(entry).toBeDefined();

    const script = join(dir.path, 'sender.mjs');
    writeFileSync(script, SENDER);
    let output = '';
    sender = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, DATA_DIR: dir.path }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(sender);
    sender.stdout!.on('data', (c) => (output += c));
    sender.stderr!.on('data', (c) => (output += c));

    const end = Date.now() + 15_000;
    while (Date.now() < end && (await store.outbox.get(entry!.id))?.status !== 'sent') await sleep(100);
    expect((await store.outbox.get(entry!.id))?.status, output).toBe('sent');
    // A retry would have come 300 ms after a timeout: give it time to show.
    await sleep(1500);
    expect(requests, output).toEqual([entry!.idempotencyKey]);
    expect(await store.outbox.get(entry!.id)).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
  }, 40_000);
});
