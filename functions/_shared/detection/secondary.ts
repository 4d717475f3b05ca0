/**
 * Most likely and secondary clusters as SaTScan reports them
 * (`AbstractBruteForceAnalysis::FindTopClusters` and
 * `MostLikelyClustersContainer::rankClusters` / `ShouldRetainCandidateCluster`):
 *
 * 1. every centre keeps only its most likely cluster — the best cylinder over all of
 *    its zones and time windows (the first found on ties: the smaller zone);
 * 2. those per-centre clusters are ranked by score, descending; scores within 1e-9 are
 *    ties, broken by fewer locations, then by the lower centre index;
 * 3. walking down the ranking, a cluster is kept when it passes the secondary-cluster
 *    criterion against every cluster kept before it (SaTScan's
 *    CriteriaForReportingSecondaryClusters, default 0 = no geographical overlap).
 *
 * The centre-based criteria ask whether a cluster's centre lies in another cluster:
 * for circles SaTScan tests the distance between the centres against the other
 * cluster's radius, in single precision (`CentroidLiesWithinSphereRegion`); where zones
 * are not circles (a neighbours file or network in SaTScan; H3 disks here) it tests
 * membership of the centre location (`clusterContainsTract`). Callers pass the test.
 *
 * Secondary clusters are tested against the distribution of the maximum (the most
 * likely cluster), so their p-values are conservative.
 */
import type { ZoneSet } from './zones/zone-set.ts';

/** SaTScan's six criteria for reporting secondary clusters (parameter values 0–5). */
export type SecondaryClusters =
  /** 0: no location in common with a more likely cluster (SaTScan's default). */
  | 'no-geo-overlap'
  /** 1: neither cluster's centre lies in the other. */
  | 'no-centers-in-other'
  /** 2: the cluster's centre lies in no more likely cluster. */
  | 'no-centers-in-more-likely'
  /** 3: no more likely cluster's centre lies in this cluster. */
  | 'no-centers-in-less-likely'
  /** 4: no pair of clusters each holds the other's centre. */
  | 'no-pairs-centers-each-other'
  /** 5: no restriction: the most likely cluster of every centre. */
  | 'no-restrictions';

export const SECONDARY_CLUSTERS: ReadonlyArray<SecondaryClusters> = Object.freeze([
  'no-geo-overlap', 'no-centers-in-other', 'no-centers-in-more-likely', 'no-centers-in-less-likely', 'no-pairs-centers-each-other', 'no-restrictions',
]);

/** Whether `location` lies in the cluster made of zone `zone` around centre location `center`. */
export type InCluster = (center: number, zone: number, location: number) => boolean;

/** Membership test: the location is one of the zone's locations. */
export function memberOfZone(zones: ZoneSet): InCluster {
  return (_center, zone, location) => {
    const start = zones.seqStart[zones.zoneCenter[zone]!]!;
    const size = zones.zoneSize[zone]!;
    for (let i = 0; i < size; i++) if (zones.members[start + i] === location) return true;
    return false;
  };
}

export interface CenterCluster {
  /** Centre location index. */
  center: number;
  zone: number;
  score: number;
}

/** Every centre's most likely cluster (score > minScore), as SaTScan's top cluster per centroid. */
export function bestPerCenter(zones: ZoneSet, zoneScore: Float64Array, minScore = 0): CenterCluster[] {
  const best = new Map<number, CenterCluster>();
  const offer = (center: number, zone: number): void => {
    const score = zoneScore[zone]!;
    if (!(score > minScore)) return;
    const cur = best.get(center);
    if (!cur || score > cur.score || (score === cur.score && zones.zoneSize[zone]! < zones.zoneSize[cur.zone]!)) {
      best.set(center, { center, zone, score });
    }
  };
  for (let z = 0; z < zones.nZones; z++) offer(zones.centerLocation[zones.zoneCenter[z]!]!, z);
  for (let i = 0; i < zones.aliasZone.length; i++) offer(zones.aliasCenter[i]!, zones.aliasZone[i]!);
  return [...best.values()];
}

const TIE = 1e-9;

export function selectSecondaryClusters(
  zones: ZoneSet,
  zoneScore: Float64Array,
  maxClusters: number,
  criterion: SecondaryClusters = 'no-geo-overlap',
  inCluster: InCluster = memberOfZone(zones),
): CenterCluster[] {
  if (!SECONDARY_CLUSTERS.includes(criterion)) throw new RangeError(`secondaryClusters must be one of ${SECONDARY_CLUSTERS.join(', ')}`);
  const ranked = bestPerCenter(zones, zoneScore);
  ranked.sort((a, b) => Math.abs(a.score - b.score) < TIE
    ? zones.zoneSize[a.zone]! - zones.zoneSize[b.zone]! || a.center - b.center
    : b.score - a.score);
  const used = new Uint8Array(zones.nLocations);
  const out: CenterCluster[] = [];
  for (const k of ranked) {
    if (out.length >= maxClusters) break;
    if (!retain(k, out, criterion, inCluster, zones, used)) continue;
    if (criterion === 'no-geo-overlap') markMembers(zones, k.zone, used);
    out.push(k);
  }
  return out;
}

function retain(k: CenterCluster, kept: CenterCluster[], criterion: SecondaryClusters, inCluster: InCluster, zones: ZoneSet, used: Uint8Array): boolean {
  switch (criterion) {
    case 'no-restrictions':
      return true;
    case 'no-geo-overlap': {
      const start = zones.seqStart[zones.zoneCenter[k.zone]!]!;
      for (let i = 0; i < zones.zoneSize[k.zone]!; i++) if (used[zones.members[start + i]!]) return false;
      return true;
    }
    default:
      for (const r of kept) {
        const kInR = inCluster(r.center, r.zone, k.center);
        const rInK = inCluster(k.center, k.zone, r.center);
        const reject = criterion === 'no-centers-in-other' ? kInR || rInK
          : criterion === 'no-centers-in-more-likely' ? kInR
          : criterion === 'no-centers-in-less-likely' ? rInK
          : kInR && rInK;
        if (reject) return false;
      }
      return true;
  }
}

function markMembers(zones: ZoneSet, zone: number, used: Uint8Array): void {
  const start = zones.seqStart[zones.zoneCenter[zone]!]!;
  for (let i = 0; i < zones.zoneSize[zone]!; i++) used[zones.members[start + i]!] = 1;
}
