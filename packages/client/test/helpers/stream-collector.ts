// Records what a stream delivers and resolves once `count` messages have arrived.
import type { StreamErrorInfo, StreamHandle, StreamMessage, StreamOpenInfo, StreamOptions, VigieClient, VigieClientError } from '../../src/index.js';

export interface Collected {
  readonly messages: StreamMessage[];
  readonly opens: StreamOpenInfo[];
  readonly errors: { error: VigieClientError; info: StreamErrorInfo }[];
  readonly handle: StreamHandle;
  /** Resolves after `count` messages; rejects after `timeoutMs` with what arrived so far. */
  readonly done: Promise<void>;
  /** Resolves once `n` messages have arrived. */
  after(n: number): Promise<void>;
}

export function collect(
  client: VigieClient,
  path: string,
  count: number,
  options: Partial<StreamOptions> = {},
  timeoutMs = 15_000,
): Collected {
  const messages: StreamMessage[] = [];
  const opens: StreamOpenInfo[] = [];
  const errors: { error: VigieClientError; info: StreamErrorInfo }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const handle = client.stream(path, {
    ...options,
    onMessage: (m) => {
      messages.push(m);
      for (const w of waiters.filter((x) => messages.length >= x.n)) w.resolve();
    },
    onOpen: (info) => opens.push(info),
    onError: (error, info) => errors.push({ error, info }),
  });
  const after = (n: number) =>
    new Promise<void>((resolve) => {
      if (messages.length >= n) resolve();
      else waiters.push({ n, resolve });
    });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`stream delivered ${messages.length}/${count} in ${timeoutMs} ms: ids ${messages.map((m) => m.lastEventId).join(',')}`));
    }, timeoutMs);
    void after(count).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { messages, opens, errors, handle, done, after };
}

/** 1..n as strings: the ids a lossless, duplicate-free stream delivers. */
export function ids(n: number, from = 1): string[] {
  return Array.from({ length: n - from + 1 }, (_, i) => String(from + i));
}
