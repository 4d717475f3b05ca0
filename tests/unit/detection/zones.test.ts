import { cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { buildH3DiskIndex, circleZones, knnZones, packZones, zoneMembers } from '../../../functions/_shared/detection/index.ts';
import { diskNeighbours } from '../../../functions/_shared/detection/zones/h3-disks.ts';

describe('H3 k-ring disk zones', () => {
  const center = latLngToCell(40.7484, -73.9857, 8);
  const universe = gridDisk(center, 6);

  it('grows nested disks of 1, 7, 19, 37 cells in ring order', () => {
    const idx = buildH3DiskIndex(universe, 3);
    const c = idx.index.get(center)!;
    const zs = idx.zones;
    const zones = Array.from({ length: zs.zoneStart[c + 1]! - zs.zoneStart[c]! }, (_, i) => zs.zoneStart[c]! + i);
    expect(zones.map((z) => zs.zoneSize[z])).toEqual([1, 7, 19, 37]);
    expect(zones.map((z) => zs.zoneLabel[z])).toEqual([0, 1, 2, 3]);
    for (const [i, z] of zones.entries()) {
      const members = zoneMembers(zs, z).map((m) => idx.cells[m]!);
      expect(new Set(members)).toEqual(new Set(gridDisk(center, i)));
    }
    expect(zs.nZones).toBe(universe.length * 4 - 0 - countTruncated(idx));
  });

  function countTruncated(idx: ReturnType<typeof buildH3DiskIndex>): number {
    // Disks whose outer ring holds no universe cell are not new zones.
    let missing = 0;
    for (const cell of idx.cells) {
      for (let k = 1; k <= idx.maxK; k++) {
        const ring = gridDisk(cell, k).filter((x) => !gridDisk(cell, k - 1).includes(x));
        if (!ring.some((x) => idx.index.has(x))) missing++;
      }
    }
    return missing;
  }

  it('leaves out cells outside the universe and drops rings that add none', () => {
    // Universe: the centre and one neighbour two rings away only.
    const far = gridDisk(center, 2).find((c) => !gridDisk(center, 1).includes(c))!;
    const idx = buildH3DiskIndex([center, far, center], 3);
    expect(idx.cells).toEqual([center, far]);
    const zs = idx.zones;
    const c = idx.index.get(center)!;
    const sizes = [];
    const labels = [];
    for (let z = zs.zoneStart[c]!; z < zs.zoneStart[c + 1]!; z++) {
      sizes.push(zs.zoneSize[z]);
      labels.push(zs.zoneLabel[z]);
    }
    expect(sizes).toEqual([1, 2]);
    expect(labels).toEqual([0, 2]);
  });

  it('rejects invalid cells', () => {
    expect(() => buildH3DiskIndex(['not-a-cell'], 3)).toThrow(TypeError);
  });

  it('lists ring neighbours for the baseline prior', () => {
    const idx = buildH3DiskIndex(universe, 3);
    const nb = diskNeighbours(idx, 2);
    const c = idx.index.get(center)!;
    const list = Array.from(nb.members.subarray(nb.start[c]!, nb.start[c + 1]!)).map((m) => idx.cells[m]);
    expect(list).toHaveLength(18);
    expect(list).not.toContain(center);
    expect(cellToParent(center, 7)).toBeTypeOf('string');
  });
});

describe('kNN zones (scanstatistics knn_zones)', () => {
  it('takes the nested prefixes of each k-nearest list and keeps each set once', () => {
    // Points on a line: 0, 1, 3, 7.
    const pts = [0, 1, 3, 7].map((x) => ({ x, y: 0 }));
    const zs = knnZones(pts, 2, 'planar');
    const sets = Array.from({ length: zs.nZones }, (_, z) => zoneMembers(zs, z).sort().join(','));
    // From 0: {0}, {0,1}; from 1: {1}, {1,0}; from 3: {2}, {2,1}; from 7: {3}, {3,2}.
    expect(sets).toEqual(['0', '0,1', '1', '2', '1,2', '3', '2,3']);
  });

  it('breaks distance ties by index, as R’s order()', () => {
    const pts = [-1, 0, 1].map((x) => ({ x, y: 0 }));
    const zs = knnZones(pts, 2, 'planar');
    // From the middle point both neighbours are at distance 1: the lower index wins.
    const fromMiddle = Array.from({ length: zs.nZones }, (_, z) => z)
      .filter((z) => zs.centerLocation[zs.zoneCenter[z]!] === 1)
      .map((z) => zoneMembers(zs, z).sort().join(','));
    expect(fromMiddle).toEqual(['1']); // {1,0} was already produced from point 0
  });
});

describe('SaTScan circles', () => {
  it('caps zones at the population fraction and adds equidistant locations one at a time, lesser coordinates first', () => {
    const pts = [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: -1, y: 0 },
      { x: 5, y: 0 },
    ];
    const pop = [10, 10, 10, 70];
    const zs = circleZones(pts, 'planar', { population: pop, maxPopulationFraction: 0.5 });
    for (let z = 0; z < zs.nZones; z++) {
      const p = zoneMembers(zs, z).reduce((a, m) => a + pop[m]!, 0);
      expect(p).toBeLessThanOrEqual(50);
    }
    const sets = Array.from({ length: zs.nZones }, (_, z) => zoneMembers(zs, z).sort().join(','));
    // From point 0 the neighbours at distance 1 enter one at a time, (−1, 0) before (1, 0)
    // (SaTScan's CompareIdentifierDistance: the lesser coordinates break the tie).
    const fromZero = Array.from({ length: zs.nZones }, (_, z) => z)
      .filter((z) => zs.centerLocation[zs.zoneCenter[z]!] === 0)
      .map((z) => zoneMembers(zs, z).join(','));
    expect(fromZero).toEqual(['0', '0,2', '0,2,1']);
    expect(sets).not.toContain('3'); // 70 % of the population alone
    // A cap of 20 admits the centre and one of the two: the first in SaTScan's order.
    const two = circleZones(pts, 'planar', { population: [10, 10, 10, 10], maxPopulationFraction: 0.5 });
    const fromZeroTwo = Array.from({ length: two.nZones }, (_, z) => z)
      .filter((z) => two.centerLocation[two.zoneCenter[z]!] === 0)
      .map((z) => zoneMembers(two, z).join(','));
    expect(fromZeroTwo).toEqual(['0', '0,2']);
    expect(() => circleZones(pts, 'planar', { population: pop, maxPopulationFraction: 0.6 })).toThrow(RangeError);
  });

  it('packs and dedupes zone sequences', () => {
    const zs = packZones(3, [
      { center: 0, members: [0, 1, 2], sizes: [1, 2, 2, 3], labels: [0, 1, 2, 3] },
      { center: 1, members: [1, 0], sizes: [1, 2], labels: [0, 1] },
    ], 'global');
    expect(Array.from({ length: zs.nZones }, (_, z) => zoneMembers(zs, z).sort().join(','))).toEqual(['0', '0,1', '0,1,2', '1']);
    // Centre 1's {1,0} is zone 1 again: kept as an alias, so centre 1's most likely cluster can be it.
    expect(Array.from(zs.aliasCenter)).toEqual([1]);
    expect(Array.from(zs.aliasZone)).toEqual([1]);
  });
});
