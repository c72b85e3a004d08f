// Scenarios run inside headless Chromium. Served as a plain ES module next to the built package,
// which the page loads through an import map, exactly as an app would ship it.
// window.vigieKill(i) is exposed by the test (Node side) and kills node i for real.
import { createClient, isVigieClientError } from '@vigie/client';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function errorInfo(e) {
  if (!isVigieClientError(e)) return { code: 'UNEXPECTED', message: String(e) };
  return {
    code: e.code,
    status: e.status ?? null,
    body: e.body ?? null,
    attempts: e.attempts.map((a) => ({ node: a.nodeIndex, code: a.code, status: a.status ?? null })),
  };
}

/** A burst of GETs; node 0 is killed in the middle. */
export async function burst({ urls }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0, timeoutMs: 5000 });
  const failovers = [];
  client.on('failover', (e) => failovers.push([e.from.index, e.to.index, e.reason]));
  try {
    const pending = [];
    for (let i = 0; i < 90; i++) {
      pending.push(
        client
          .request('/echo')
          .then((r) => r.json())
          .then((b) => b.node),
      );
      if (i === 45) {
        // Kill mid-burst, once the primary has answered at least once (under load the browser
        // may not have completed any request yet).
        await pending[0];
        await window.vigieKill(0);
      }
      if (i % 6 === 5) await sleep(5);
    }
    const settled = await Promise.allSettled(pending);
    return {
      answeredBy: settled.map((s) => (s.status === 'fulfilled' ? s.value : `error ${JSON.stringify(errorInfo(s.reason))}`)),
      failovers,
      statuses: client.getNodesHealthStatus().nodes.map((n) => n.status),
    };
  } finally {
    client.close();
  }
}

/** 4xx answers come back as they are, from the primary. */
export async function clientErrors({ urls }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0 });
  try {
    const answers = [];
    for (const status of [400, 401, 403, 404, 409, 422, 429]) {
      const res = await client.request(`/status/${status}`);
      answers.push([res.status, (await res.json()).node]);
    }
    let jsonError = null;
    try {
      await client.getJson('/status/404');
    } catch (e) {
      jsonError = errorInfo(e);
    }
    return { answers, jsonError, statuses: client.getNodesHealthStatus().nodes.map((n) => n.status) };
  } finally {
    client.close();
  }
}

/** A POST that times out: without a key it stays on its node; with a key it moves. */
export async function postTimeout({ urls }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0, timeoutMs: 300 });
  try {
    let plain = null;
    try {
      await client.request('/slow?ms=3000', { method: 'POST', body: 'pay' });
    } catch (e) {
      plain = errorInfo(e);
    }
    client.resetFailedNodes();
    let keyed = null;
    try {
      await client.request('/slow?ms=3000', { method: 'POST', body: 'pay', headers: { 'Idempotency-Key': 'k-1' } });
    } catch (e) {
      keyed = errorInfo(e);
    }
    return { plain, keyed };
  } finally {
    client.close();
  }
}

/** A stream whose node the test kills meanwhile (on the timeline); collects `total` events. */
export async function streamKill({ urls, path, total }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0, timeoutMs: 3000 });
  const messages = [];
  const opens = [];
  const errors = [];
  let handle;
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${messages.length} events: ${messages.map((m) => m.id)}`)), 15_000);
      handle = client.stream(path, {
        onMessage: (m) => {
          messages.push({ id: m.lastEventId, node: m.node, data: m.data, type: m.type });
          if (messages.length === total) {
            clearTimeout(timer);
            resolve();
          }
        },
        onOpen: (info) => opens.push(info),
        onError: (e, info) => errors.push({ code: e.code, willRetry: info.willRetry }),
      });
    });
    await sleep(150); // a repeated event would show up now
    return { messages, opens, errors };
  } finally {
    handle?.close();
    client.close();
  }
}

/** The caller's signal cancels the first copy and the hedge at once. */
export async function abortAll({ urls }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0, timeoutMs: 10_000, hedgeAfterMs: 50 });
  const controller = new AbortController();
  client.on('hedge', () => setTimeout(() => controller.abort(), 50));
  const t0 = performance.now();
  try {
    await client.request('/slow?ms=8000', { signal: controller.signal });
    return { code: 'NO_ERROR' };
  } catch (e) {
    return { ...errorInfo(e), elapsedMs: performance.now() - t0 };
  } finally {
    client.close();
  }
}

/** Node 0 is slow: the hedge on node 1 answers first. */
export async function hedge({ urls }) {
  const client = createClient({ nodes: urls, healthCheckIntervalMs: 0, hedgeAfterMs: 100 });
  try {
    const res = await client.request('/echo');
    return { node: (await res.json()).node, statuses: client.getNodesHealthStatus().nodes.map((n) => n.status) };
  } finally {
    client.close();
  }
}
