// The echo command sent in keep-alive loops, shared by ab.mjs and per-answer-profile.mjs (run.mjs
// has its own, which also times each answer and schedules the kill).

const EXEC_PATH = '/api/v1/worker/main/execute';
const BODY = JSON.stringify({ type: 'custom', payload: { name: 'echo', data: { bench: 'dispatch', n: 42 } } });

/** `concurrency` loops sending the echo command through `pool` for `ms`; the number of right answers. */
export async function echoLoad(pool, apiKey, ms, concurrency = 32) {
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const end = performance.now() + ms;
  let ok = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const res = await pool.request({ path: EXEC_PATH, method: 'POST', headers, body: BODY });
      const body = await res.body.json();
      if (res.statusCode === 200 && body.success === true) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return ok;
}
