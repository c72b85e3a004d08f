import { Client } from 'undici';

/** What one exchange with a worker gave: its status and the whole body as text. */
export interface Exchange {
  statusCode: number;
  text: string;
}

export type ExchangeOptions = Omit<Parameters<Client['request']>[0], 'origin'>;

/**
 * The keep-alive connections to one worker origin, opened on demand: the first call opens one,
 * a call that finds them all busy opens another, up to `max`, after which calls queue on the
 * least busy one. An idle connection is closed by undici after its keep-alive timeout and
 * reopened by the next call.
 *
 * Why not undici's Pool: a Pool allocates a 2048-slot request queue up front (16 KB), which
 * for 5000 workers was 78 MB of the coordinator's heap (bench/scale), while nearly all of them
 * only ever carry one health probe or one batch at a time. A Client's queue grows as needed.
 */
export class ConnectionSet {
  private readonly clients: Client[] = [];
  private readonly busy: number[] = [];

  constructor(
    private readonly origin: string,
    private readonly options: Client.Options,
    private readonly max: number,
  ) {}

  /** Sends one request and reads the whole answer; the connection is counted busy until then. */
  async exchange(opts: ExchangeOptions): Promise<Exchange> {
    const i = this.pick();
    this.busy[i]!++;
    try {
      const res = await this.clients[i]!.request(opts);
      return { statusCode: res.statusCode, text: await res.body.text() };
    } finally {
      this.busy[i]!--;
    }
  }

  /** How many connections were opened (for tests). */
  get size(): number {
    return this.clients.length;
  }

  /** Closes every connection; calls in flight finish first. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private pick(): number {
    let least = -1;
    for (let i = 0; i < this.clients.length; i++) {
      if (this.busy[i] === 0) return i;
      if (least < 0 || this.busy[i]! < this.busy[least]!) least = i;
    }
    if (this.clients.length < this.max) {
      this.clients.push(new Client(this.origin, this.options));
      this.busy.push(0);
      return this.clients.length - 1;
    }
    return least;
  }
}
