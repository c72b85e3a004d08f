import { afterEach, describe, expect, it } from 'vitest';
import { startMarketplace, type Marketplace } from '../../src/demo/marketplace.js';

let market: Marketplace | undefined;
afterEach(async () => market?.close());

const cookie = { cookie: 'theme=dark; demo_session=abc' };

describe('demo marketplace', () => {
  it('answers listings newest first, filtered by words and price', async () => {
    market = await startMarketplace({ initialListings: 60, sessionCookie: 'demo_session=abc' });
    const all = (await (await fetch(`${market.url}/api/items?q=`, { headers: cookie })).json()) as { data: { items: Array<{ id: number; title: string; price: { amount: string } }> } };
    expect(all.data.items).toHaveLength(50);
    expect(all.data.items[0]!.id).toBe(60);
    const cheap = (await (await fetch(`${market.url}/api/items?q=nike&max=50`, { headers: cookie })).json()) as typeof all;
    for (const i of cheap.data.items) {
      expect(i.title.toLowerCase()).toContain('nike');
      expect(Number(i.price.amount)).toBeLessThanOrEqual(50);
    }
  });

  it('is repeatable for a seed and grows over time', async () => {
    const a = await startMarketplace({ seed: 7, initialListings: 5 });
    const b = await startMarketplace({ seed: 7, initialListings: 5 });
    expect(a.listings().map((l) => l.title)).toEqual(b.listings().map((l) => l.title));
    await Promise.all([a.close(), b.close()]);
    market = await startMarketplace({ initialListings: 1, newListingEveryMs: 20 });
    await new Promise((r) => setTimeout(r, 150));
    expect(market.listings().length).toBeGreaterThan(2);
  });

  it('wants the session cookie, and blocks an address after N requests', async () => {
    market = await startMarketplace({ sessionCookie: 'demo_session=abc', blockAfter: 2, blockAddresses: ['127.0.0.1'] });
    expect((await fetch(`${market.url}/api/items`)).status).toBe(401);
    expect((await fetch(`${market.url}/api/items`, { headers: cookie })).status).toBe(200);
    expect((await fetch(`${market.url}/api/items`, { headers: cookie })).status).toBe(403); // third request from 127.0.0.1
    expect(market.requestsFrom('127.0.0.1')).toBe(3);
  });
});
