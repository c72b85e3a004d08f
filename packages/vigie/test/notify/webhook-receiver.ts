// A local webhook receiver for tests: records every request (headers and raw body) and answers
// 204, or what it is told for the next K calls (any status, headers, body; or no answer at all).
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as received (what signatures cover). */
  raw: string;
  /** The status answered; undefined while hanging. */
  status?: number;
}

export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | { hang: true };

/** The receiver server. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly answers: ReceiverAnswer[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly events = new EventEmitter();

  private constructor(
    private readonly server: http.Server,
    /** http://127.0.0.1:<port> */
    readonly origin: string,
  ) {}

  /** Starts a receiver on 127.0.0.1. */
  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const r = new WebhookReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void r.handle(req, res));
    return r;
  }

  /** The next `count` requests get `answer` instead of 204. */
  answerNext(count: number, answer: ReceiverAnswer): void {
    for (let i = 0; i < count; i++) this.answers.push(answer);
  }

  /** Requests answered 2xx. */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
  }

  /** Resolves once `n` requests have arrived in all. */
  waitForRequests(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received.length < n) return;
        clearTimeout(timer);
        this.events.off('request', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.off('request', check);
        reject(new Error(`webhook receiver: ${this.received.length}/${n} request(s) after ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('request', check);
    });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const answer = this.answers.shift() ?? { status: 204 };
    this.received.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), ...('status' in answer && { status: answer.status }) });
    this.events.emit('request');
    if ('hang' in answer) {
      this.hanging.add(res);
      return;
    }
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
