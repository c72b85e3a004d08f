import { multistream, pino, type Level, type Logger } from 'pino';
import { lazyModule } from '../lazy-module.js';
import { scrub } from './secrets.js';

const prettyModule = lazyModule<typeof import('pino-pretty')>('pino-pretty');

export type { Logger };

/** Field paths that hold secrets wherever they appear in a log object. */
const REDACT = [
  'apiKey', '*.apiKey', 'token', '*.token', 'password', '*.password', 'secret', '*.secret',
  'cookies', '*.cookies', 'credential', '*.credential', 'authorization', '*.authorization',
  'headers["x-api-key"]', '*.headers["x-api-key"]', 'headers.authorization', '*.headers.authorization',
  'headers.cookie', '*.headers.cookie',
];

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /** Bound fields on every line, e.g. { role: 'worker', worker: 'worker-fr' }. */
  base?: Record<string, unknown>;
  /** Where lines go (tests pass a buffer); default stdout. */
  destination?: NodeJS.WritableStream;
  /** A second destination that always gets JSON lines (a log file), secrets scrubbed the same way. */
  also?: NodeJS.WritableStream;
}

/**
 * Fields a terminal line leaves out at info: pino's own, the process's role and region (bound
 * on every line), and ids that only matter to cross-reference JSON logs.
 */
const TERMINAL_SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err', 'role', 'region', 'runId', 'matchId', 'alertId', 'outboxId', 'notification', 'holder']);

/**
 * A terminal line at info and above: the message, the reason of an error, and the short plain
 * fields the message does not already say (`worker=worker-2 ms=175`). Objects and arrays (a
 * match's item, a run's per-worker outcomes) are details: shown at debug, and always complete
 * in JSON lines.
 */
export function terminalLine(log: Record<string, unknown>, messageKey: string): string {
  const msg = String(log[messageKey] ?? '');
  const parts = [msg];
  const err = log.err as { message?: unknown } | undefined;
  if (err && typeof err.message === 'string') parts[0] += `: ${err.message.split('\n')[0]}`;
  for (const [k, v] of Object.entries(log)) {
    if (TERMINAL_SKIP.has(k) || k === messageKey) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const text = String(v).replace(/\s+/g, ' ');
    if (!msg.includes(text)) parts.push(`${k}=${text}`);
  }
  return parts.join(' ');
}

/** True for levels that ask for details. */
function detailed(level: string): boolean {
  return level === 'debug' || level === 'trace';
}

/**
 * A pino logger: JSON lines (or, on a terminal, one readable line per event), secrets redacted
 * by field and scrubbed by value.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && (dest as NodeJS.WriteStream).isTTY === true);
  const stream = usePretty
    ? prettyModule()({
        destination: dest,
        colorize: (dest as NodeJS.WriteStream).isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        // One line per event: at debug the fields follow as one JSON object on the same line;
        // above, only the short ones (the rest would be pages of item JSON in a demo).
        // (pino-pretty ends a line itself only without singleLine when the object is hidden.)
        ...(detailed(opts.level) ? { singleLine: true } : { hideObject: true, messageFormat: terminalLine }),
        sync: true,
      })
    : dest;
  const out =
    opts.also && opts.level !== 'silent'
      ? multistream([
          { level: opts.level as Level, stream },
          { level: opts.level as Level, stream: opts.also },
        ])
      : stream;
  return pino(
    {
      level: opts.level,
      base: opts.base ?? {},
      redact: { paths: REDACT, censor: '****' },
      hooks: { streamWrite: scrub },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    out,
  );
}
