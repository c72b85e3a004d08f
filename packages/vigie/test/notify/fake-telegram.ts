// A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), enough for
// `sendMessage`: it checks the token, records messages, and can be told to answer 429 (with
// `parameters.retry_after`), 500, any other error, or to hang, for the next K calls.
//
//   const tg = await FakeTelegram.start({ token: 'TEST-TOKEN-123456' });
//   createTelegramNotifier({ token: tg.token, apiUrl: tg.url, defaultChatId: '42' });
//   tg.rateLimitNext(1, 30);  …  await tg.waitForMessages(3);  …  await tg.close();
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One message the fake accepted. */
export interface FakeTelegramMessage {
  chatId: string;
  text: string;
  parseMode: string | undefined;
  linkPreviewOptions: unknown;
  /** The whole JSON body as received. */
  body: Record<string, unknown>;
  messageId: number;
}

/** How the fake answers a call instead of accepting it. */
export type FakeTelegramFailure =
  | { kind: 'rate-limit'; retryAfter: number }
  | { kind: 'server-error' }
  | { kind: 'hang' }
  | { kind: 'error'; status: number; description: string; parameters?: Record<string, unknown> };

export interface FakeTelegramOptions {
  /** The bot token the fake accepts; any other gets 401 Unauthorized. */
  token: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port); give the old port to restart a fake at the same URL. */
  port?: number;
  /** When given, other chat ids get 400 "Bad Request: chat not found". */
  chats?: readonly string[];
}

/** The fake Bot API server. */
export class FakeTelegram {
  /** Accepted messages, in arrival order. */
  readonly messages: FakeTelegramMessage[] = [];
  /** Every `sendMessage` request received (accepted, failed or hanging), in order. */
  readonly requests: Array<{ path: string; body: unknown }> = [];
  private readonly failures: FakeTelegramFailure[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly events = new EventEmitter();
  private nextMessageId = 1;

  private constructor(
    private readonly server: http.Server,
    readonly token: string,
    readonly url: string,
    private readonly chats: ReadonlySet<string> | undefined,
  ) {}

  /** Starts a fake on 127.0.0.1 (or `host`). */
  static async start(opts: FakeTelegramOptions): Promise<FakeTelegram> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    const { address, port } = server.address() as AddressInfo;
    const fake = new FakeTelegram(server, opts.token, `http://${address}:${port}`, opts.chats ? new Set(opts.chats) : undefined);
    server.on('request', (req, res) => void fake.handle(req, res));
    return fake;
  }

  /** The next `count` calls answer `failure` (queued after failures already set). */
  failNext(count: number, failure: FakeTelegramFailure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** The next `count` calls answer 429 with `retry_after: seconds`. */
  rateLimitNext(count: number, seconds: number): void {
    this.failNext(count, { kind: 'rate-limit', retryAfter: seconds });
  }

  /** The next `count` calls answer 500. */
  serverErrorNext(count: number): void {
    this.failNext(count, { kind: 'server-error' });
  }

  /** The next `count` calls never get an answer (until the client gives up or the fake closes). */
  hangNext(count: number): void {
    this.failNext(count, { kind: 'hang' });
  }

  /** Forgets queued failures. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Resolves once `n` requests have arrived in all (rejects after `timeoutMs`). */
  waitForRequests(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor(() => this.requests.length >= n, `${n} request(s)`, timeoutMs);
  }

  /** Resolves with the messages once `n` have been accepted in all (rejects after `timeoutMs`). */
  async waitForMessages(n: number, timeoutMs = 10_000): Promise<FakeTelegramMessage[]> {
    await this.waitFor(() => this.messages.length >= n, `${n} message(s)`, timeoutMs);
    return this.messages;
  }

  /** Stops the server, cutting hanging requests. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private waitFor(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.events.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.off('change', check);
        reject(new Error(`fake Telegram: still waiting for ${what} after ${timeoutMs} ms (requests: ${this.requests.length}, messages: ${this.messages.length})`));
      }, timeoutMs);
      this.events.on('change', check);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, description: string, parameters?: Record<string, unknown>) =>
      answer(status, { ok: false, error_code: status, description, ...(parameters && { parameters }) });

    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (!m || req.method !== 'POST') return error(404, 'Not Found');
    if (decodeURIComponent(m[1]!) !== this.token) return error(401, 'Unauthorized');
    if (m[2] !== 'sendMessage') return error(404, 'Not Found');

    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return error(400, "Bad Request: can't parse JSON");
    }
    this.requests.push({ path: '/bot<token>/sendMessage', body });
    this.events.emit('change');

    const failure = this.failures.shift();
    if (failure?.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (failure?.kind === 'rate-limit') {
      return error(429, `Too Many Requests: retry after ${failure.retryAfter}`, { retry_after: failure.retryAfter });
    }
    if (failure?.kind === 'server-error') return error(500, 'Internal Server Error');
    if (failure?.kind === 'error') return error(failure.status, failure.description, failure.parameters);

    const chatId = body.chat_id === undefined ? '' : String(body.chat_id);
    if (!chatId) return error(400, 'Bad Request: chat_id is empty');
    if (this.chats && !this.chats.has(chatId)) return error(400, 'Bad Request: chat not found');
    if (typeof body.text !== 'string' || body.text === '') return error(400, 'Bad Request: message text is empty');
    if (body.text.length > 4096) return error(400, 'Bad Request: message is too long');

    const messageId = this.nextMessageId++;
    this.messages.push({
      chatId,
      text: body.text,
      parseMode: typeof body.parse_mode === 'string' ? body.parse_mode : undefined,
      linkPreviewOptions: body.link_preview_options,
      body,
      messageId,
    });
    answer(200, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId }, text: body.text } });
    this.events.emit('change');
  }
}
