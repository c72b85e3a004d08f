import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

const item = { id: '26', title: 'Adidas waterproof hoodie', price: 40.88, currency: 'EUR', url: 'http://127.0.0.1:1/items/26', condition: 'new', brand: 'Adidas', photo: 'http://127.0.0.1:1/photos/26.jpg' };

describe('terminal logs (issue 17.9)', () => {
  it('at info: one line per event, the message and short fields, no item JSON', () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'pretty', base: { role: 'coordinator' }, destination: out.stream });
    log.info({ matchId: 'm1', alertId: 'a1', item }, '🔔 Match for "Anything new": Adidas waterproof hoodie - 40.88 EUR');
    log.info({ runId: 'r1', matches: 2, durationMs: 28, workers: [{ workerId: 'w1', ok: true }, { workerId: 'w2', ok: true }] }, 'Cycle finished: 2 match(es)');
    log.error({ err: new Error('connect ECONNREFUSED 127.0.0.1:5432\n    at stack line') }, 'alert cycle failed');
    log.info({ worker: 'w1', url: 'http://127.0.0.2:8081' }, 'worker listening');
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/INFO.*: worker listening worker=w1 url=http:\/\/127\.0\.0\.2:8081$/);
    expect(lines[0]).toMatch(/INFO.*: 🔔 Match for "Anything new": Adidas waterproof hoodie - 40.88 EUR$/);
    expect(lines[0]).not.toContain('photos/26');
    // What the message says already (2 matches) is not repeated; what it does not is added.
    expect(lines[1]).toMatch(/INFO.*: Cycle finished: 2 match\(es\) durationMs=28$/);
    expect(lines[2]).toMatch(/ERROR.*: alert cycle failed: connect ECONNREFUSED 127\.0\.0\.1:5432$/);
    expect(out.text()).not.toContain('at stack line');
  });

  it('at debug: still one line per event, with every detail', () => {
    const out = sink();
    const log = createLogger({ level: 'debug', format: 'pretty', destination: out.stream });
    log.info({ matchId: 'm1', item }, 'match');
    log.info({ worker: 'w1', url: 'http://127.0.0.2:8081' }, 'worker listening');
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"url":"http://127.0.0.2:8081"');
    expect(lines[0]).toContain('"photo":"http://127.0.0.1:1/photos/26.jpg"');
  });

  it('JSON lines (piped) stay complete', () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'json', base: { role: 'coordinator' }, destination: out.stream });
    log.info({ matchId: 'm1', item }, 'match');
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, role: 'coordinator', matchId: 'm1', item, msg: 'match' });
  });

  it('secrets stay out of terminal lines too', () => {
    const out = sink();
    const log = createLogger({ level: 'info', format: 'pretty', destination: out.stream });
    log.info({ apiKey: 'k-0123456789abcdef', token: 'tok-secret' }, 'started');
    expect(out.text()).not.toContain('k-0123456789abcdef');
    expect(out.text()).not.toContain('tok-secret');
  });
});
