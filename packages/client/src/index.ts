export { createClient, DEFAULTS, type VigieClient } from './client.js';
export {
  VigieClientError,
  isVigieClientError,
  type AttemptErrorCode,
  type AttemptFailure,
  type ClientErrorCode,
} from './errors.js';
export type { NodeHealth, NodeStatus, NodesHealthStatus, NodeUpReason } from './node-pool.js';
export type { NodeMetricsSnapshot } from './metrics.js';
export type { StrategyName } from './strategies/index.js';
export type { Clock, TimerHandle } from './clock.js';
export { SseParser, type SseEvent, type SseParserHandlers } from './sse-parser.js';
export { isIdempotentMethod, parseRetryAfter } from './retry-policy.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type {
  ClientEvents,
  ClientOptions,
  FailoverEvent,
  FetchLike,
  HedgeEvent,
  JsonRequestOptions,
  NodeDownEvent,
  NodeRef,
  NodeUpEvent,
  RequestOptions,
  StreamErrorInfo,
  StreamHandle,
  StreamMessage,
  StreamOpenInfo,
  StreamOptions,
} from './types.js';
