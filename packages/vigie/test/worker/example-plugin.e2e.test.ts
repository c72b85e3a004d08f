import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnVigie, tempDir, type VigieProcess } from '../helpers/vigie-process.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/custom-handler.mjs', import.meta.url));

describe('examples/custom-handler.mjs', () => {
  const dir = tempDir();
  let worker: VigieProcess;
  afterAll(async () => {
    await worker?.stop();
    dir.cleanup();
  });

  it('loads as a plugin and answers, including its typed 400', async () => {
    worker = spawnVigie(['worker', '--insecure', '--host', '127.0.0.5', '--port', '0', '--plugin', EXAMPLE], { VIGIE_DATA_DIR: dir.path });
    const { url } = await worker.waitForLog((l) => l.msg === 'worker listening');
    const call = async (data: unknown) => {
      const res = await fetch(`${String(url)}/api/v1/worker/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'custom', payload: { name: 'word-count', data } }),
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await call({ text: 'the quick brown fox' })).toEqual({ status: 200, body: { success: true, data: { words: 4 } } });
    const bad = await call({ text: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, error: 'INVALID_INPUT' });
  });
});
