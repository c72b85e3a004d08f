import type { Clock } from './clock.js';
import type { AttemptErrorCode, VigieClientError } from './errors.js';
import type { NodeUpReason } from './node-pool.js';
import type { StrategyName } from './strategies/index.js';

/** Signature of the fetch the client calls (defaults to `globalThis.fetch`). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of `createClient`. */
export interface ClientOptions {
  /** Base URLs, primary first, then backups (e.g. `['http://localhost:8080', 'http://localhost:8081']`). */
  nodes: readonly string[];
  /** Per-attempt timeout to response headers (to the full body for the JSON helpers), ms. Default 5000. */
  timeoutMs?: number;
  /** How often failed nodes are re-probed, ms. Default 30000; 0 disables probing. */
  healthCheckIntervalMs?: number;
  /** Timeout of one probe, ms. Default: `timeoutMs`. */
  healthCheckTimeoutMs?: number;
  /** Path probed with GET; any 2xx means healthy. Default `/api/health`. */
  healthPath?: string;
  /** How the node of each request is chosen. Default `failover`. */
  strategy?: StrategyName;
  /** Attempts per request, hedges included. Default 3. */
  maxAttempts?: number;
  /** Hedging: send a second copy of an idempotent request to another node after this many ms without an answer. Off by default. */
  hedgeAfterMs?: number;
  /** Longest `Retry-After` honoured, ms (longer ones are capped or not waited for). Default 10000. */
  maxRetryAfterMs?: number;
  /** With `failover`, return to the first node in order when it comes back. Default true. */
  failback?: boolean;
  /** Headers added to every request and stream (e.g. `{ 'x-api-key': key }`). */
  headers?: HeadersInit;
  /** Time constant of the latency EWMA, ms. Default 10000. */
  ewmaDecayMs?: number;
  /** fetch implementation. Default: `globalThis.fetch`, looked up at each call. */
  fetch?: FetchLike;
  /** Clock and timers (tests). */
  clock?: Clock;
  /** Random source in [0, 1) for jitter and p2c (tests). */
  random?: () => number;
}

/** `request()` options: a `RequestInit` plus per-request overrides. */
export interface RequestOptions extends RequestInit {
  /** Overrides the client's `timeoutMs` for this request. */
  timeoutMs?: number;
  /** `false` disables hedging, a number sets `hedgeAfterMs` for this request. */
  hedge?: boolean | number;
}

/** JSON helper options: `json` is serialised as the body with `Content-Type: application/json`. */
export interface JsonRequestOptions extends RequestOptions {
  json?: unknown;
}

/** A node reference in events. */
export interface NodeRef {
  readonly index: number;
  readonly url: string;
}

/** Emitted when a request or stream leaves a failing node for another one. */
export interface FailoverEvent {
  readonly kind: 'request' | 'stream';
  readonly method: string;
  readonly path: string;
  readonly from: NodeRef;
  readonly to: NodeRef;
  readonly reason: AttemptErrorCode;
  readonly status?: number | undefined;
  /** Number of the attempt about to start (2 for the first failover). */
  readonly attempt: number;
}

/** Emitted when a node is marked failed. */
export interface NodeDownEvent extends NodeRef {
  readonly reason: AttemptErrorCode;
  readonly status?: number | undefined;
  readonly error?: unknown;
}

/** Emitted when a node is re-enabled. */
export interface NodeUpEvent extends NodeRef {
  readonly reason: NodeUpReason;
}

/** Emitted when a hedged copy of a request is sent. */
export interface HedgeEvent {
  readonly method: string;
  readonly path: string;
  readonly first: NodeRef;
  readonly hedge: NodeRef;
  readonly afterMs: number;
}

/** Events of the client, for `client.on(name, listener)`. */
export interface ClientEvents {
  failover: FailoverEvent;
  nodeDown: NodeDownEvent;
  nodeUp: NodeUpEvent;
  hedge: HedgeEvent;
}

/** One event received on a stream. */
export interface StreamMessage {
  /** `event:` field, "message" by default. */
  readonly type: string;
  readonly data: string;
  /** Last event ID, sent back as `Last-Event-ID` when the stream reconnects. */
  readonly lastEventId: string;
  /** Base URL of the node that delivered it. */
  readonly node: string;
}

/** Passed to `onOpen` at every (re)connection. */
export interface StreamOpenInfo {
  readonly node: string;
  readonly status: number;
  /** `Last-Event-ID` sent on this connection ('' on a fresh start). */
  readonly resumedFrom: string;
  /** Connections opened so far, this one included. */
  readonly connection: number;
}

/** Passed to `onError` with each error. */
export interface StreamErrorInfo {
  /** Whether the stream will reconnect (false: it is closed for good). */
  readonly willRetry: boolean;
  readonly node?: string | undefined;
  /** Delay before the next connection, ms. */
  readonly delayMs?: number | undefined;
}

/** Options of `stream()`. */
export interface StreamOptions {
  onMessage(message: StreamMessage): void;
  onOpen?(info: StreamOpenInfo): void;
  onError?(error: VigieClientError, info: StreamErrorInfo): void;
  /** Closes the stream when aborted. */
  signal?: AbortSignal;
  /** Extra headers; a function is called at each connection (fresh tokens). */
  headers?: HeadersInit | (() => HeadersInit);
  /** Resume point of the first connection. */
  lastEventId?: string;
  /** Reconnection delay until the server sends `retry:`, ms. Default 1000. */
  reconnectDelayMs?: number;
  /** Cap of the reconnection backoff, ms. Default 30000. */
  maxReconnectDelayMs?: number;
  /** Reconnect when nothing (not even a comment) arrives for this long, ms. 0 (default) = never. */
  idleTimeoutMs?: number;
}

/** Handle returned by `stream()`. */
export interface StreamHandle {
  /** Stops the stream and every timer it holds. */
  close(): void;
  /** Settles when the stream is closed for good (by `close`, the signal, a 204 or a fatal error). */
  readonly closed: Promise<void>;
  readonly lastEventId: string;
  /** Node of the open connection, null while connecting. */
  readonly node: string | null;
  readonly readyState: 'connecting' | 'open' | 'closed';
}
