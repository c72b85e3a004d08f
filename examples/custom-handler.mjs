// A Vigie plugin: custom commands for the workers.
//
//   vigie worker --plugin examples/custom-handler.mjs      (or VIGIE_PLUGINS=...)
//   vigie up --plugin examples/custom-handler.mjs
//
// Then: POST /api/v1/worker/main/execute
//   { "type": "custom", "payload": { "name": "word-count", "data": { "text": "a b c" } } }
//   → { "success": true, "data": { "words": 3 } }
//
// A handler gets the command's `data` and a context: `signal` (aborted at the deadline or on
// shutdown: stop work), `deadline`, `logger`, `store`, `config`, `worker`. To fail with a
// status the coordinator understands, throw an error carrying `code` and `httpStatus`:
// 400 for a bad request (not retried), 403 for an upstream block (the worker is banned and the
// command retried on another), 5xx for a temporary failure (retried elsewhere).

export default function plugin(api) {
  api.registerCommand({
    name: 'word-count',
    description: 'Counts the words of data.text.',
    async run(data) {
      if (typeof data?.text !== 'string') {
        throw Object.assign(new Error('data.text must be a string'), { code: 'INVALID_INPUT', httpStatus: 400 });
      }
      return { words: data.text.split(/\s+/).filter(Boolean).length };
    },
  });

  api.registerCommand({
    name: 'wait',
    description: 'Waits data.ms milliseconds, honouring the deadline (a diagnostic for timeouts).',
    run: (data, ctx) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ waitedMs: data?.ms ?? 0 }), Number(data?.ms ?? 0));
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal.reason);
        });
      }),
  });
}
