/**
 * Nested zones in compact typed-array form.
 *
 * Every zone builder (H3 k-ring disks, k-nearest neighbours, SaTScan circles) grows
 * zones outward from a centre: zone m of a centre is a prefix of that centre's ordered
 * member list. Storing each centre's ordered list once, plus the prefix lengths at
 * which zones end ("breakpoints"), lets the scan add each location to a running sum
 * exactly once per centre: the zone of size 37 reuses the sum of the zone of size 19.
 *
 * Layout (CSR):
 *   centre c owns members[seqStart[c] .. seqStart[c+1]) in growth order, and zones
 *   zoneStart[c] .. zoneStart[c+1]; zone z is the first zoneSize[z] members of its
 *   centre, labelled zoneLabel[z] (ring radius k for disks, neighbour count for knn,
 *   radius for circles).
 */

export interface ZoneSet {
  readonly nLocations: number;
  readonly nCenters: number;
  readonly nZones: number;
  /** Location index at the centre of each growth sequence. */
  readonly centerLocation: Int32Array;
  readonly seqStart: Int32Array;
  readonly members: Int32Array;
  readonly zoneStart: Int32Array;
  readonly zoneSize: Int32Array;
  readonly zoneLabel: Float64Array;
  /** Centre index of each zone. */
  readonly zoneCenter: Int32Array;
  /**
   * Zones dropped as global duplicates: zone `aliasZone[i]` is also a zone of the growth
   * sequence centred on location `aliasCenter[i]`. The scan evaluates each set once, but
   * SaTScan's most likely cluster per centre considers all of a centre's circles.
   */
  readonly aliasCenter: Int32Array;
  readonly aliasZone: Int32Array;
}

export interface ZoneSequence {
  center: number;
  /** Members in growth order (the centre first). */
  members: ReadonlyArray<number>;
  /** Increasing prefix lengths (1..members.length) at which a zone ends. */
  sizes: ReadonlyArray<number>;
  /** Label per zone (same length as sizes). */
  labels: ReadonlyArray<number>;
}

export type Dedupe = 'none' | 'within-center' | 'global';

/**
 * Pack growth sequences into a ZoneSet. With `dedupe`:
 *  - 'within-center' drops a zone identical to the previous zone of its centre
 *    (a ring that added no member);
 *  - 'global' drops any zone whose member set already appeared (as scanstatistics'
 *    knn_zones and SaTScan do, so that the zone count matches theirs).
 * Trailing members not used by any kept zone are trimmed.
 */
export function packZones(nLocations: number, sequences: ReadonlyArray<ZoneSequence>, dedupe: Dedupe): ZoneSet {
  const seen = dedupe === 'global' ? new Map<string, number>() : null;
  const aliasCenter: number[] = [];
  const aliasZone: number[] = [];
  const centerLocation: number[] = [];
  const seqStart: number[] = [0];
  const members: number[] = [];
  const zoneStart: number[] = [0];
  const zoneSize: number[] = [];
  const zoneLabel: number[] = [];
  const zoneCenter: number[] = [];
  for (const seq of sequences) {
    const kept: Array<{ size: number; label: number }> = [];
    let prevSize = 0;
    const sortedPrefix: number[] = [];
    for (let z = 0; z < seq.sizes.length; z++) {
      const size = seq.sizes[z]!;
      if (size < 1 || size > seq.members.length) throw new RangeError('zone size out of range');
      if (size < prevSize) throw new RangeError('zone sizes must be non-decreasing');
      if (seen) {
        for (let i = prevSize; i < size; i++) sortedPrefix.push(seq.members[i]!);
      }
      if (size === prevSize && dedupe !== 'none') continue;
      prevSize = size;
      if (seen) {
        sortedPrefix.sort((a, b) => a - b);
        const key = sortedPrefix.join(',');
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          aliasCenter.push(seq.center);
          aliasZone.push(earlier);
          continue;
        }
        seen.set(key, zoneSize.length + kept.length);
      }
      kept.push({ size, label: seq.labels[z] ?? z });
    }
    if (kept.length === 0) continue;
    const c = centerLocation.length;
    centerLocation.push(seq.center);
    const used = kept[kept.length - 1]!.size;
    for (let i = 0; i < used; i++) {
      const m = seq.members[i]!;
      if (m < 0 || m >= nLocations) throw new RangeError('member index out of range');
      members.push(m);
    }
    seqStart.push(members.length);
    for (const k of kept) {
      zoneSize.push(k.size);
      zoneLabel.push(k.label);
      zoneCenter.push(c);
    }
    zoneStart.push(zoneSize.length);
  }
  return {
    nLocations,
    nCenters: centerLocation.length,
    nZones: zoneSize.length,
    centerLocation: Int32Array.from(centerLocation),
    seqStart: Int32Array.from(seqStart),
    members: Int32Array.from(members),
    zoneStart: Int32Array.from(zoneStart),
    zoneSize: Int32Array.from(zoneSize),
    zoneLabel: Float64Array.from(zoneLabel),
    zoneCenter: Int32Array.from(zoneCenter),
    aliasCenter: Int32Array.from(aliasCenter),
    aliasZone: Int32Array.from(aliasZone),
  };
}

/** Members of zone z (a fresh array). */
export function zoneMembers(zs: ZoneSet, z: number): number[] {
  const c = zs.zoneCenter[z]!;
  const start = zs.seqStart[c]!;
  const size = zs.zoneSize[z]!;
  return Array.from(zs.members.subarray(start, start + size));
}
