/**
 * A hotspot's place in words, from the org's districts (org_settings.districts), pure:
 *
 *  - the district containing its centre cell: "in Kralingen";
 *  - spanning several (by the districts its cells' centres fall in, largest overlap
 *    first, the centre's district winning ties): "in Kralingen and Crooswijk", or
 *    "in Kralingen, Crooswijk and 2 more";
 *  - outside every district: the nearest, with the distance from its boundary and the
 *    compass direction from its middle: "1.2 km NE of Kralingen";
 *  - no districts at all: "near 51.920, 4.480".
 *
 * H3 indexes never appear in the words (they stay in the alert's details).
 */
import { cellToLatLng } from 'h3-js';
import { geometryContains, polygonsOf } from '../../_shared/geojson.ts';
import type { DistrictFeature, Position } from '../../_shared/org-settings.ts';

const EARTH_M = 6_371_008.8;
const RAD = Math.PI / 180;

export function districtContains(d: DistrictFeature, lat: number, lng: number): boolean {
  return geometryContains(d.geometry, lat, lng);
}

/** Metres from (lat, lng) to the district's boundary (equirectangular around the point: fine at city scale). */
export function distanceToDistrictM(d: DistrictFeature, lat: number, lng: number): number {
  const kx = Math.cos(lat * RAD) * RAD * EARTH_M;
  const ky = RAD * EARTH_M;
  let best = Infinity;
  for (const p of polygonsOf(d.geometry)) {
    for (const ring of p) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const ax = (ring[i]![0] - lng) * kx, ay = (ring[i]![1] - lat) * ky;
        const bx = (ring[i + 1]![0] - lng) * kx, by = (ring[i + 1]![1] - lat) * ky;
        const dx = bx - ax, dy = by - ay;
        const len2 = dx * dx + dy * dy;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
        best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
      }
    }
  }
  return best;
}

/** The district's middle: the mean of its outer rings' vertices. */
function middle(d: DistrictFeature): Position {
  let x = 0, y = 0, n = 0;
  for (const p of polygonsOf(d.geometry)) for (const [lng, lat] of p[0]!.slice(0, -1)) { x += lng; y += lat; n++; }
  return [x / n, y / n];
}

const COMPASS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;

/** 8-point compass direction from `from` to `to` ([lng, lat]). */
export function compass(from: Position, to: Position): (typeof COMPASS)[number] {
  const φ1 = from[1] * RAD, φ2 = to[1] * RAD, Δλ = (to[0] - from[0]) * RAD;
  const θ = Math.atan2(Math.sin(Δλ) * Math.cos(φ2), Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ));
  const deg = (θ / RAD + 360) % 360;
  return COMPASS[Math.round(deg / 45) % 8]!;
}

export function formatDistance(m: number): string {
  if (m < 950) return `${Math.max(100, Math.round(m / 100) * 100)} m`;
  if (m < 9_950) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 1000)} km`;
}

function listNames(names: string[], more: number): string {
  if (more > 0) return `${names.join(', ')} and ${more} more`;
  return names.join(' and ');
}

/** The place words for a hotspot with this centre (cell and its lat/lng) and these cells. */
export function placeWords(center: { cell: string; lat: number; lng: number }, cells: ReadonlyArray<string>, districts: ReadonlyArray<DistrictFeature>): string {
  const { cell: centerCell, lat, lng } = center;
  if (districts.length === 0) return `near ${lat.toFixed(3)}, ${lng.toFixed(3)}`;
  const home = (c: string): number => {
    const [la, ln] = cellToLatLng(c);
    return districts.findIndex((d) => districtContains(d, la, ln));
  };
  const centre = home(centerCell);
  const overlap = new Map<number, number>();
  for (const c of new Set([centerCell, ...cells])) {
    const i = c === centerCell ? centre : home(c);
    if (i >= 0) overlap.set(i, (overlap.get(i) ?? 0) + 1);
  }
  if (overlap.size > 0) {
    const ranked = [...overlap.entries()].sort((a, b) => b[1] - a[1] || (a[0] === centre ? -1 : b[0] === centre ? 1 : 0)
      || districts[a[0]]!.properties.name.localeCompare(districts[b[0]]!.properties.name));
    const names = ranked.slice(0, 2).map(([i]) => districts[i]!.properties.name);
    return `in ${listNames(names, ranked.length - names.length)}`;
  }
  let nearest = 0;
  let best = Infinity;
  districts.forEach((d, i) => {
    const m = distanceToDistrictM(d, lat, lng);
    if (m < best) { best = m; nearest = i; }
  });
  const d = districts[nearest]!;
  return `${formatDistance(best)} ${compass(middle(d), [lng, lat])} of ${d.properties.name}`;
}
