/**
 * Listings for the demo marketplace, generated from a seed so that a demo run is repeatable:
 * the same seed gives the same listings in the same order.
 */
export interface Listing {
  id: number;
  title: string;
  brand: string;
  price: number;
  condition: string;
  createdAt: number;
}

const BRANDS = ['Nike', 'Adidas', "Levi's", 'Patagonia', 'Carhartt', 'Veja', 'Arc\'teryx', 'Uniqlo'];
const THINGS = ['sneakers', 'jacket', 'jeans', 'hoodie', 'fleece', 'cap', 'backpack', 'boots'];
const ADJECTIVES = ['vintage', 'classic', 'retro', 'lightweight', 'waterproof', 'slim', 'oversized', ''];
export const CONDITIONS = ['new', 'very good', 'good', 'satisfactory'];

/** mulberry32: a tiny seeded PRNG, enough for demo data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `n`-th listing drawn from `random`. */
export function makeListing(id: number, random: () => number, createdAt: number): Listing {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const brand = pick(BRANDS);
  const adjective = pick(ADJECTIVES);
  const thing = pick(THINGS);
  return {
    id,
    title: [brand, adjective, thing].filter(Boolean).join(' '),
    brand,
    price: Math.round((5 + random() * 195) * 100) / 100,
    condition: pick(CONDITIONS),
    createdAt,
  };
}
