/** hotspot-series' pure rules: the Poisson band (as R's qpois) and the study-window blocks. */
import { describe, expect, it } from 'vitest';
import { poissonBand, poissonQuantile } from '../../../functions/hotspot-series/rules/band.ts';
import { planBlocks, seriesRange } from '../../../functions/hotspot-series/rules/series.ts';

const H = 3_600_000;

describe('poissonQuantile (R: qpois)', () => {
  it.each([
    [0.025, 0.12, 0], [0.975, 0.12, 1], [0.025, 1, 0], [0.975, 1, 3], [0.025, 10, 4], [0.975, 10, 17],
    [0.025, 100, 81], [0.975, 100, 120], [0.5, 3.5, 3],
  ])('qpois(%s, %s) = %s', (p, mean, k) => {
    expect(poissonQuantile(p, mean)).toBe(k);
  });
  it('a zero expectation has the band 0–0; p outside (0, 1) is refused', () => {
    expect(poissonBand(0)).toEqual({ low: 0, high: 0 });
    expect(() => poissonQuantile(1, 3)).toThrow(RangeError);
  });
});

describe('planBlocks: the scan\'s study windows laid from the hotspot\'s window end', () => {
  const cfg = { bucketMs: H, maxDurationBuckets: 6 };
  const to = Date.UTC(2026, 11, 6, 12);

  function covers(blocks: ReturnType<typeof planBlocks>, from: number, end: number): void {
    expect(blocks[0]!.start).toBeLessThanOrEqual(from);
    expect(blocks.at(-1)!.end).toBe(end);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.start).toBe(blocks[i - 1]!.end);
  }

  it('window ending now: 48 hours are eight whole 6-hour windows ending now, 6 h earlier, …', () => {
    const range = seriesRange(to, 48, H);
    const blocks = planBlocks(range, to, cfg);
    expect(blocks.map((b) => (to - b.end) / H)).toEqual([42, 36, 30, 24, 18, 12, 6, 0]);
    expect(blocks.every((b) => b.buckets === 6 && b.now === b.end)).toBe(true);
    covers(blocks, range.from, to);
  });

  it('window ended 2 h ago, clock inside the current hour: the detecting scan\'s window is a block; the last block stops now', () => {
    const until = to - 45 * 60_000;
    const range = seriesRange(until, 48, H);
    const anchor = to - 2 * H;
    const blocks = planBlocks(range, anchor, cfg);
    expect(blocks).toContainEqual({ start: anchor - 6 * H, end: anchor, now: anchor, buckets: 6 });
    expect(blocks.at(-1)).toEqual({ start: anchor, end: to, now: until, buckets: 2 });
    expect(blocks[0]!.start).toBe(range.from - 2 * H);
    covers(blocks, range.from, to);
  });
});
