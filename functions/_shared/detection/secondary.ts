/**
 * Most likely cluster and secondary clusters: zones ranked by their best cylinder's
 * score, keeping a zone only if it shares no location with a cluster already kept
 * (SaTScan's default "no geographical overlap"). Secondary clusters are tested
 * against the distribution of the maximum (the most likely cluster), so their
 * p-values are conservative.
 */
import type { ZoneSet } from './zones/zone-set.ts';

export function selectNonOverlapping(
  zones: ZoneSet,
  zoneScore: Float64Array,
  maxClusters: number,
  minScore = 0,
): number[] {
  const order: number[] = [];
  for (let z = 0; z < zones.nZones; z++) if (zoneScore[z]! > minScore) order.push(z);
  // Highest score first; ties: smaller zone, then lower index (deterministic).
  order.sort((a, b) => zoneScore[b]! - zoneScore[a]! || zones.zoneSize[a]! - zones.zoneSize[b]! || a - b);
  const used = new Uint8Array(zones.nLocations);
  const out: number[] = [];
  for (const z of order) {
    if (out.length >= maxClusters) break;
    const c = zones.zoneCenter[z]!;
    const start = zones.seqStart[c]!;
    const size = zones.zoneSize[z]!;
    let overlap = false;
    for (let i = 0; i < size; i++) {
      if (used[zones.members[start + i]!]) {
        overlap = true;
        break;
      }
    }
    if (overlap) continue;
    for (let i = 0; i < size; i++) used[zones.members[start + i]!] = 1;
    out.push(z);
  }
  return out;
}
