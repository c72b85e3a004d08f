import { describe, expect, it } from 'vitest';
import { filterItem, normalizeText } from '../../src/alerts/filters.js';
import type { Item } from '../../src/wire/check-alerts.js';
import type { Alert } from '../../src/store/index.js';

function alert(patch: Partial<Alert> = {}): Alert {
  return {
    id: 'a1', name: 'test', source: 'market', query: 'q', priceMin: null, priceMax: null,
    conditions: [], includeWords: [], excludeWords: [], notify: [], active: true, createdAt: 0, updatedAt: 0,
    ...patch,
  };
}

function item(patch: Partial<Item> = {}): Item {
  return { id: '1', title: 'Veste en cuir', price: 50, currency: 'EUR', url: null, condition: 'Très bon état', brand: null, photo: null, ...patch };
}

describe('filterItem', () => {
  it('accepts anything when the alert has no filter', () => {
    expect(filterItem(item({ price: null, condition: null }), alert())).toEqual({ ok: true });
  });

  it('keeps prices within inclusive bounds; null is unbounded', () => {
    const a = alert({ priceMin: 20, priceMax: 50 });
    expect(filterItem(item({ price: 20 }), a).ok).toBe(true);
    expect(filterItem(item({ price: 50 }), a).ok).toBe(true);
    expect(filterItem(item({ price: 19.99 }), a)).toEqual({ ok: false, reason: expect.stringMatching(/below 20/) });
    expect(filterItem(item({ price: 50.01 }), a)).toEqual({ ok: false, reason: expect.stringMatching(/above 50/) });
    expect(filterItem(item({ price: 1_000_000 }), alert({ priceMin: 20 })).ok).toBe(true);
    expect(filterItem(item({ price: 0 }), alert({ priceMax: 20 })).ok).toBe(true);
    expect(filterItem(item({ price: 21 }), alert({ priceMax: 20 })).ok).toBe(false);
  });

  it('fails an item without price against a bounded range only', () => {
    expect(filterItem(item({ price: null }), alert({ priceMax: 100 })).ok).toBe(false);
    expect(filterItem(item({ price: null }), alert({ priceMin: 0 })).ok).toBe(false);
    expect(filterItem(item({ price: null }), alert()).ok).toBe(true);
  });

  it('matches conditions ignoring case and accents; empty list means any', () => {
    expect(filterItem(item({ condition: 'TRES BON ETAT' }), alert({ conditions: ['très bon état'] })).ok).toBe(true);
    expect(filterItem(item({ condition: 'Neuf' }), alert({ conditions: ['neuf', 'Très bon état'] })).ok).toBe(true);
    expect(filterItem(item({ condition: 'Satisfaisant' }), alert({ conditions: ['neuf', 'très bon état'] })).ok).toBe(false);
    expect(filterItem(item({ condition: null }), alert({ conditions: ['neuf'] })).ok).toBe(false);
    expect(filterItem(item({ condition: null }), alert({ conditions: [] })).ok).toBe(true);
  });

  it('requires every include word as a whole word, ignoring case and accents', () => {
    const a = alert({ includeWords: ['veste', 'CUIR'] });
    expect(filterItem(item({ title: 'Veste en cuir noir' }), a).ok).toBe(true);
    expect(filterItem(item({ title: 'VESTE EN CUÏR' }), a).ok).toBe(true);
    expect(filterItem(item({ title: 'Veste en simili' }), a)).toEqual({ ok: false, reason: 'title lacks "CUIR"' });
    // Whole words: "vestes" and "cuirasse" do not contain the words "veste" and "cuir".
    expect(filterItem(item({ title: 'Vestes cuirasse' }), a).ok).toBe(false);
    expect(filterItem(item({ title: 'Blouson' }), alert({ includeWords: ['élégant'] })).ok).toBe(false);
    expect(filterItem(item({ title: 'Blouson ELEGANT' }), alert({ includeWords: ['élégant'] })).ok).toBe(true);
  });

  it('matches a multi-word include as consecutive words', () => {
    const a = alert({ includeWords: ['air max'] });
    expect(filterItem(item({ title: 'Nike Air-Max 90' }), a).ok).toBe(true);
    expect(filterItem(item({ title: 'Nike Air Force Max' }), a).ok).toBe(false);
  });

  it('rejects any exclude word, ignoring case and accents, whole words only', () => {
    const a = alert({ excludeWords: ['abîmé', 'enfant'] });
    expect(filterItem(item({ title: 'Veste ABIME' }), a)).toEqual({ ok: false, reason: 'title has excluded "abîmé"' });
    expect(filterItem(item({ title: 'Veste Enfant 8 ans' }), a).ok).toBe(false);
    expect(filterItem(item({ title: 'Veste enfantine' }), a).ok).toBe(true);
    expect(filterItem(item({ title: 'Veste adulte' }), a).ok).toBe(true);
  });

  it('ignores blank words and conditions', () => {
    expect(filterItem(item(), alert({ includeWords: ['  '], excludeWords: [''], conditions: [' '] })).ok).toBe(true);
  });
});

describe('normalizeText', () => {
  it('drops accents and ligatures and lower-cases', () => {
    expect(normalizeText('Cœur Ÿ ÉTÉ Straße')).toBe('coeur y ete strasse');
  });
});
