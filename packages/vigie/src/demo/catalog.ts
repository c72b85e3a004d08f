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
export { seededRandom } from '../util/seeded-random.js';

export const CONDITIONS = ['new', 'very good', 'good', 'satisfactory'];


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
