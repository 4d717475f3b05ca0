/** Small planar helpers for district polygons ([lng, lat]; a district spans a few km, so flat is fine). */
type Pos = GeoJSON.Position;

function ringArea(r: readonly Pos[]): number {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j]![0]! * r[i]![1]!) - (r[i]![0]! * r[j]![1]!);
  return a / 2;
}

function centroid(r: readonly Pos[]): [number, number] {
  let cx = 0, cy = 0, a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const f = r[j]![0]! * r[i]![1]! - r[i]![0]! * r[j]![1]!;
    cx += (r[j]![0]! + r[i]![0]!) * f;
    cy += (r[j]![1]! + r[i]![1]!) * f;
    a += f;
  }
  return a === 0 ? [r[0]![0]!, r[0]![1]!] : [cx / (3 * a), cy / (3 * a)];
}

/** Even-odd point-in-polygon over all rings (holes included). */
export function inPolygon(p: readonly [number, number], rings: readonly (readonly Pos[])[]): boolean {
  let inside = false;
  for (const r of rings) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = [r[i]![0]!, r[i]![1]!];
      const [xj, yj] = [r[j]![0]!, r[j]![1]!];
      if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/**
 * Where a district's name goes: the centroid of its largest part, or, when that falls
 * outside (a crescent), the middle of the widest stretch inside along the centroid's latitude.
 */
export function labelPoint(g: GeoJSON.Polygon | GeoJSON.MultiPolygon): [number, number] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  const rings = polys.reduce((best, p) => (Math.abs(ringArea(p[0]!)) > Math.abs(ringArea(best[0]!)) ? p : best));
  const c = centroid(rings[0]!);
  if (inPolygon(c, rings)) return c;
  const xs: number[] = [];
  for (const r of rings) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = [r[i]![0]!, r[i]![1]!];
      const [xj, yj] = [r[j]![0]!, r[j]![1]!];
      if ((yi > c[1]) !== (yj > c[1])) xs.push(xi + ((c[1] - yi) * (xj - xi)) / (yj - yi));
    }
  }
  xs.sort((a, b) => a - b);
  let best: [number, number] = c;
  let width = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    if (xs[i + 1]! - xs[i]! > width) { width = xs[i + 1]! - xs[i]!; best = [(xs[i]! + xs[i + 1]!) / 2, c[1]]; }
  }
  return best;
}
