import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admit, fillUnchanged, latestPerId, Ledger } from '../../../client-sdk/src/ledger.ts';

interface R { id: number; version: number; tag?: string }

/** Row versions 1..n for a few ids, then shuffled/duplicated/split into batches. */
const versionsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 8 })
  .map((pairs) => pairs.flatMap(([id, n]) => Array.from({ length: n }, (_, i) => ({ id, version: i + 1 }))));

const batchesArb = versionsArb.chain((rows) => fc.tuple(
  fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }),
  fc.array(fc.nat({ max: rows.length - 1 }), { maxLength: 10 }), // duplicates
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }), // batch sizes
).map(([shuffled, dupIdx, sizes]) => {
  const all = [...shuffled, ...dupIdx.map((i) => shuffled[i]!)];
  const batches: R[][] = [];
  let at = 0;
  for (let k = 0; at < all.length; k++) {
    const n = sizes[k % sizes.length]!;
    batches.push(all.slice(at, at + n));
    at += n;
  }
  return { rows, batches };
}));

describe('ledger (merge and de-duplication by id, version)', () => {
  it('delivers each row\'s versions strictly increasing, never twice, ending at the latest', () => {
    fc.assert(fc.property(batchesArb, fc.boolean(), ({ rows, batches }, oneByOne) => {
      const ledger = new Ledger<R>();
      const seen = new Map<number, number[]>();
      for (const b of batches) {
        const out = oneByOne ? b.filter((r) => ledger.offer(r)) : ledger.merge(b);
        for (const r of out) seen.set(r.id, [...(seen.get(r.id) ?? []), r.version]);
      }
      const max = new Map<number, number>();
      for (const r of rows) max.set(r.id, Math.max(max.get(r.id) ?? 0, r.version));
      for (const [id, vs] of seen) {
        for (let i = 1; i < vs.length; i++) expect(vs[i]!).toBeGreaterThan(vs[i - 1]!);
        expect(vs[vs.length - 1]).toBe(max.get(id));
        expect(ledger.get(id)?.version).toBe(max.get(id));
      }
      expect(new Set(seen.keys())).toEqual(new Set(max.keys()));
    }));
  });

  it('merging a batch equals offering its latest version per id', () => {
    fc.assert(fc.property(batchesArb, ({ batches }) => {
      const a = new Ledger<R>();
      const b = new Ledger<R>();
      for (const batch of batches) {
        const merged = a.merge(batch);
        const offered = latestPerId(batch).filter((r) => b.offer(r));
        expect(merged).toEqual(offered);
      }
    }));
  });

  it('admit is pure and keeps first-appearance order', () => {
    const batch = [{ id: 2, version: 1 }, { id: 1, version: 3 }, { id: 2, version: 4 }, { id: 1, version: 2 }];
    const known = (id: number): number | undefined => (id === 1 ? 3 : undefined);
    expect(admit(known, batch)).toEqual([{ id: 2, version: 4 }]);
    expect(admit(() => undefined, batch)).toEqual([{ id: 2, version: 4 }, { id: 1, version: 3 }]);
    expect(batch).toHaveLength(4);
  });

  it('fills columns a live update left out (unchanged TOAST) from the previous version', () => {
    const prev = { id: 1, version: 1, cells: ['a', 'b'], status: 'new' };
    const next = { id: 1, version: 2, status: 'ongoing' } as typeof prev;
    expect(fillUnchanged(prev, next)).toEqual({ id: 1, version: 2, status: 'ongoing', cells: ['a', 'b'] });
    const complete = { ...prev, version: 2 };
    expect(fillUnchanged(prev, complete)).toBe(complete);
    expect(fillUnchanged(undefined, next)).toBe(next);
  });
});
