import { multistream, pino, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { scrub } from './secrets.js';

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

/** A pino logger: JSON lines (or pretty on a terminal), secrets redacted by field and scrubbed by value. */
export function createLogger(opts: LoggerOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && (dest as NodeJS.WriteStream).isTTY === true);
  const stream = usePretty
    ? pretty({ destination: dest, colorize: (dest as NodeJS.WriteStream).isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true })
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
