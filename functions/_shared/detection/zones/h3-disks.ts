/**
 * H3 k-ring disk zones for the product: around every cell of the universe, the disks
 * k = 0..K (1, 7, 19, 37 cells for K = 3 away from pentagons), in ring order, so zone
 * k+1 extends the running sum of zone k. Disk cells outside the universe are left out:
 * they have no counts and no baseline, so they could not change any score. A ring that
 * adds no universe cell does not create a new zone (the smaller k labels it).
 *
 * Building costs one h3 `gridDiskDistances` call per cell (≈ 20 µs), so callers that
 * scan the same universe repeatedly can build the index once and pass it in.
 */
import { gridDiskDistances, isValidCell } from 'h3-js';
import { packZones, type ZoneSequence, type ZoneSet } from './zone-set.ts';

export interface H3DiskIndex {
  /** Universe cells; location index = position in this array. */
  readonly cells: ReadonlyArray<string>;
  readonly index: ReadonlyMap<string, number>;
  readonly maxK: number;
  /** Every universe cell is a centre (centre index = location index). */
  readonly zones: ZoneSet;
}

export function buildH3DiskIndex(cells: ReadonlyArray<string>, maxK: number): H3DiskIndex {
  if (!Number.isInteger(maxK) || maxK < 0 || maxK > 10) throw new RangeError('maxK must be an integer in [0, 10]');
  const index = new Map<string, number>();
  const list: string[] = [];
  for (const c of cells) {
    if (index.has(c)) continue;
    if (!isValidCell(c)) throw new TypeError(`not a valid H3 cell: ${c}`);
    index.set(c, list.length);
    list.push(c);
  }
  const sequences: ZoneSequence[] = [];
  for (let i = 0; i < list.length; i++) {
    const rings = gridDiskDistances(list[i]!, maxK);
    const members: number[] = [i];
    const sizes: number[] = [1];
    const labels: number[] = [0];
    for (let k = 1; k < rings.length; k++) {
      const ring = rings[k]!;
      const before = members.length;
      for (const c of ring) {
        const j = index.get(c);
        if (j !== undefined) members.push(j);
      }
      if (members.length > before) {
        sizes.push(members.length);
        labels.push(k);
      }
    }
    sequences.push({ center: i, members, sizes, labels });
  }
  const zones = packZones(list.length, sequences, 'within-center');
  return { cells: list, index, maxK, zones };
}

/**
 * Neighbours of every universe cell within ring distance `k` (k ≤ maxK), excluding the
 * cell itself, as CSR: cells start[c] .. start[c+1] of `members`.
 */
export function diskNeighbours(idx: H3DiskIndex, k: number): { start: Int32Array; members: Int32Array } {
  const zs = idx.zones;
  const n = idx.cells.length;
  const start = new Int32Array(n + 1);
  const out: number[] = [];
  for (let c = 0; c < zs.nCenters; c++) {
    const loc = zs.centerLocation[c]!;
    if (loc !== c) throw new Error('disk index centres must coincide with locations');
    let size = 1;
    for (let z = zs.zoneStart[c]!; z < zs.zoneStart[c + 1]!; z++) if (zs.zoneLabel[z]! <= k) size = zs.zoneSize[z]!;
    const m0 = zs.seqStart[c]!;
    for (let i = 1; i < size; i++) out.push(zs.members[m0 + i]!);
    start[c + 1] = out.length;
  }
  return { start, members: Int32Array.from(out) };
}
