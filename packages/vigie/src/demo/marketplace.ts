import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeListing, seededRandom, type Listing } from './catalog.js';

export interface MarketplaceOptions {
  host?: string;
  port?: number;
  seed?: number;
  /** Listings at start. */
  initialListings?: number;
  /** A new listing appears this often (0: never). */
  newListingEveryMs?: number;
  /** The session cookie a request must carry (401 without it), so that the demo shows credentials at work. */
  sessionCookie?: string;
  /** After this many requests from one source address, answer it 403 (shows bans and failover). */
  blockAfter?: number;
  /** Source addresses `blockAfter` applies to (empty: all). */
  blockAddresses?: string[];
}

/** A running demo marketplace. */
export interface Marketplace {
  url: string;
  listings(): readonly Listing[];
  /** Lists a new item now: a generated one, or with the given fields. */
  addListing(fields?: Partial<Omit<Listing, 'id' | 'createdAt'>>): Listing;
  requestsFrom(address: string): number;
  close(): Promise<void>;
}

/**
 * A small marketplace on loopback for `vigie up --demo` and tests: `GET /api/items?q=&min=&max=`
 * answers JSON listings, newest first, in a Vinted-like shape (`price.amount`, `brand_title`,
 * `status`), which the generic http-json source maps. Listings appear over time.
 */
export async function startMarketplace(opts: MarketplaceOptions = {}): Promise<Marketplace> {
  const random = seededRandom(opts.seed ?? 42);
  const listings: Listing[] = [];
  const counts = new Map<string, number>();
  const add = (fields: Partial<Omit<Listing, 'id' | 'createdAt'>> = {}): Listing => {
    const listing = { ...makeListing(listings.length + 1, random, Date.now()), ...fields };
    listings.push(listing);
    return listing;
  };
  for (let i = 0; i < (opts.initialListings ?? 24); i++) add();
  const timer = opts.newListingEveryMs ? setInterval(() => add(), opts.newListingEveryMs) : undefined;
  timer?.unref();

  const server: Server = createServer((req, res) => handle(req, res));
  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://marketplace');
    const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const n = (counts.get(from) ?? 0) + 1;
    counts.set(from, n);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/health') return send(200, { ok: true });
    if (url.pathname !== '/api/items' || req.method !== 'GET') return send(404, { error: 'not found' });
    if (opts.sessionCookie && !(req.headers.cookie ?? '').split(/;\s*/).includes(opts.sessionCookie)) {
      return send(401, { error: 'login required' });
    }
    const blocked = opts.blockAfter !== undefined && n > opts.blockAfter && (!opts.blockAddresses?.length || opts.blockAddresses.includes(from));
    if (blocked) return send(403, { error: 'access denied from this address' });
    const q = (url.searchParams.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const min = Number(url.searchParams.get('min') || 0);
    const max = Number(url.searchParams.get('max') || Infinity);
    const items = listings
      .filter((l) => q.every((w) => l.title.toLowerCase().includes(w)) && l.price >= min && l.price <= max)
      .slice(-50)
      .reverse()
      .map((l) => ({
        id: l.id,
        title: l.title,
        brand_title: l.brand,
        status: l.condition,
        price: { amount: l.price.toFixed(2), currency: 'EUR' },
        url: `${base}/items/${l.id}`,
        photo: { url: `${base}/photos/${l.id}.jpg` },
      }));
    return send(200, { data: { items } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  return {
    url: base,
    listings: () => listings,
    addListing: add,
    requestsFrom: (address) => counts.get(address) ?? 0,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
