import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogNotifier } from '../../src/notify/log.js';
import { createTelegramNotifier } from '../../src/notify/telegram.js';
import { readFailoverPayload, type FailoverPayload } from '../../src/notify/types.js';
import { clearSecrets } from '../../src/observability/secrets.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { FakeTelegram } from './fake-telegram.js';
import { entry, never } from './helpers.js';

const TOKEN = '123456789:AAH-failover-notify-token';
const step: FailoverPayload = {
  event: 'failover', kind: 'step', workerId: 'worker-1', workerName: 'Worker <1>', step: 'region',
  fromValue: 'http://127.0.0.2:8081', toValue: 'http://127.0.0.5:8081', ok: true, reason: '3 upstream 403s in a row', error: null, at: 1,
};

describe('failover notifications (the outbox payload kind "failover")', () => {
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await FakeTelegram.start({ token: TOKEN, chats: ['42'] });
  });
  afterAll(async () => {
    await fake.close();
    clearSecrets();
  });

  it('reads back what the ladder queues, and nothing else', () => {
    expect(readFailoverPayload(JSON.parse(JSON.stringify(step)))).toEqual(step);
    expect(readFailoverPayload({ event: 'match' })).toBeUndefined();
    expect(readFailoverPayload({ event: 'failover', kind: 'teleport', workerId: 'w' })).toBeUndefined();
  });

  it('the log notifier logs a healed step at info and an unhealed one or an exhausted ladder at warn', async () => {
    const { logger, lines } = captureLogger();
    const n = createLogNotifier(logger);
    expect(await n.send(entry('log', {}, step), never())).toEqual({ ok: true });
    expect(await n.send(entry('log', {}, { ...step, ok: false, error: 'still blocked' }), never())).toEqual({ ok: true });
    expect(await n.send(entry('log', {}, { ...step, kind: 'exhausted', step: null }), never())).toEqual({ ok: true });
    const logged = lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('🛠'));
    expect(logged.map((l) => l.level)).toEqual([30, 40, 40]);
    expect(logged[0]!.msg).toBe('🛠 Failover region on Worker <1> (worker-1) http://127.0.0.2:8081 → http://127.0.0.5:8081: healed, takes work again (3 upstream 403s in a row)');
    expect(logged[1]!.msg).toContain('not healed: still blocked');
    expect(logged[2]!.msg).toContain('Failover exhausted for Worker <1>');
  });

  it('the Telegram notifier sends it as escaped HTML to the configured chat', async () => {
    const n = createTelegramNotifier({ token: TOKEN, apiUrl: fake.url, defaultChatId: '42' });
    expect(await n.send(entry('telegram', {}, step), never())).toEqual({ ok: true });
    const [m] = fake.messages;
    expect(m).toMatchObject({ chatId: '42', parseMode: 'HTML' });
    expect(m!.text).toContain('Worker &lt;1&gt;');
    expect(m!.text).toContain('http://127.0.0.5:8081');
  });
});
