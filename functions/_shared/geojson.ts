/**
 * GeoJSON Polygon / MultiPolygon validation (RFC 7946 §3.1.6–3.1.7) for an org's area
 * and districts (pure): the right type, positions of finite [lng, lat] in range, closed
 * linear rings of at least four positions, a vertex limit, and no ring crossing
 * itself or another ring of its polygon (a "kink": h3's polygonToCells and the
 * district tests would silently give wrong cells for one).
 *
 * Problems carry a path relative to the geometry (`coordinates[0][3]`), which the
 * schema prefixes with the field (`area.coordinates[0][3]`).
 */

import type { AreaGeometry, PolygonCoords, Position } from './org-settings.ts';

export type { AreaGeometry, PolygonCoords, Position, Ring } from './org-settings.ts';

export interface GeoProblem {
  path: Array<string | number>;
  message: string;
}

export interface GeometryLimits {
  maxVertices: number;
}

/** Most problems listed for one geometry (a broken file would otherwise list thousands). */
const MAX_PROBLEMS = 20;

const isArray = Array.isArray;

function checkPosition(p: unknown, path: Array<string | number>, out: GeoProblem[]): p is number[] {
  if (!isArray(p) || p.length < 2 || p.length > 3 || !p.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    out.push({ path, message: 'A position is [longitude, latitude] (numbers).' });
    return false;
  }
  const [lng, lat] = p as number[];
  if (lng! < -180 || lng! > 180) out.push({ path: [...path, 0], message: 'Longitude must be between -180 and 180.' });
  if (lat! < -90 || lat! > 90) out.push({ path: [...path, 1], message: 'Latitude must be between -90 and 90.' });
  return true;
}

function checkRing(r: unknown, path: Array<string | number>, out: GeoProblem[]): void {
  if (!isArray(r) || r.length < 4) {
    out.push({ path, message: 'A linear ring is an array of at least four positions.' });
    return;
  }
  for (let i = 0; i < r.length && out.length < MAX_PROBLEMS; i++) checkPosition(r[i], [...path, i], out);
  const a = r[0] as number[] | undefined;
  const b = r[r.length - 1] as number[] | undefined;
  if (isArray(a) && isArray(b) && (a[0] !== b[0] || a[1] !== b[1])) {
    out.push({ path, message: 'A linear ring must be closed: its last position equals its first.' });
  }
}

function checkPolygonShape(p: unknown, path: Array<string | number>, out: GeoProblem[]): void {
  if (!isArray(p) || p.length === 0) {
    out.push({ path, message: 'A polygon is an array of linear rings (the outer ring first).' });
    return;
  }
  for (let i = 0; i < p.length && out.length < MAX_PROBLEMS; i++) checkRing(p[i], [...path, i], out);
}

// ── self-intersection ──────────────────────────────────────────────────────────

interface Segment {
  ring: number;
  index: number;
  /** Last segment index of its ring (the first and last segments are adjacent). */
  last: number;
  ax: number; ay: number; bx: number; by: number;
  minX: number; maxX: number;
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** c lies on segment ab, given a, b, c collinear. */
function within(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): boolean {
  return Math.min(ax, bx) <= cx && cx <= Math.max(ax, bx) && Math.min(ay, by) <= cy && cy <= Math.max(ay, by);
}

function crosses(s: Segment, t: Segment): boolean {
  const o1 = orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay);
  const o2 = orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by);
  const o3 = orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay);
  const o4 = orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by);
  if (o1 !== o2 && o3 !== o4 && o1 !== 0 && o2 !== 0 && o3 !== 0 && o4 !== 0) return true;
  return (o1 === 0 && within(s.ax, s.ay, s.bx, s.by, t.ax, t.ay)) || (o2 === 0 && within(s.ax, s.ay, s.bx, s.by, t.bx, t.by))
    || (o3 === 0 && within(t.ax, t.ay, t.bx, t.by, s.ax, s.ay)) || (o4 === 0 && within(t.ax, t.ay, t.bx, t.by, s.bx, s.by));
}

/**
 * Adjacent segments of one ring share a vertex P; they are wrong only when they fold
 * back over each other (collinear, their far ends Q and R on the same side of P).
 */
function foldsBack(s: Segment, t: Segment): boolean {
  const ends: Array<[number, number, number, number, number, number]> = [
    [s.bx, s.by, s.ax, s.ay, t.bx, t.by], [s.ax, s.ay, s.bx, s.by, t.ax, t.ay],
    [s.bx, s.by, s.ax, s.ay, t.ax, t.ay], [s.ax, s.ay, s.bx, s.by, t.bx, t.by],
  ];
  const shared = [s.bx === t.ax && s.by === t.ay, s.ax === t.bx && s.ay === t.by, s.bx === t.bx && s.by === t.by, s.ax === t.ax && s.ay === t.ay];
  const k = shared.indexOf(true);
  if (k < 0) return crosses(s, t);
  const [px, py, qx, qy, rx, ry] = ends[k]!;
  return orient(px, py, qx, qy, rx, ry) === 0 && (qx - px) * (rx - px) + (qy - py) * (ry - py) > 0;
}

function adjacent(s: Segment, t: Segment): boolean {
  if (s.ring !== t.ring) return false;
  const d = Math.abs(s.index - t.index);
  return d === 1 || (d === s.last && s.last > 1);
}

/**
 * The first pair of crossing segments of one polygon's rings, or null. Sort-and-sweep on
 * x: only segments whose x-ranges overlap are compared (n log n for real boundaries).
 */
export function findKink(polygon: PolygonCoords): { ring: number; index: number; at: Position } | null {
  const segs: Segment[] = [];
  polygon.forEach((ring, r) => {
    // Repeated consecutive positions are zero-length segments, not kinks.
    const pts = ring.filter((p, i) => i === 0 || p[0] !== ring[i - 1]![0] || p[1] !== ring[i - 1]![1]);
    const last = pts.length - 2;
    for (let i = 0; i + 1 < pts.length; i++) {
      const [ax, ay] = pts[i]!;
      const [bx, by] = pts[i + 1]!;
      segs.push({ ring: r, index: i, last, ax, ay, bx, by, minX: Math.min(ax, bx), maxX: Math.max(ax, bx) });
    }
  });
  segs.sort((a, b) => a.minX - b.minX);
  const active: Segment[] = [];
  for (const s of segs) {
    for (let j = active.length - 1; j >= 0; j--) if (active[j]!.maxX < s.minX) active.splice(j, 1);
    for (const t of active) {
      const bad = adjacent(s, t) ? foldsBack(s, t) : crosses(s, t);
      if (bad) {
        const first = s.ring < t.ring || (s.ring === t.ring && s.index < t.index) ? s : t;
        return { ring: first.ring, index: first.index, at: [first.ax, first.ay] };
      }
    }
    active.push(s);
  }
  return null;
}

/** Count of positions (closing positions included). */
function vertexCount(g: AreaGeometry): number {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  let n = 0;
  for (const p of polys) for (const r of p) n += r.length;
  return n;
}

/** The polygons of a geometry, as one list. */
export function polygonsOf(g: AreaGeometry): PolygonCoords[] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

/** Even-odd ray casting over a polygon's rings (holes excluded), planar in degrees. */
function inPolygon(p: PolygonCoords, lng: number, lat: number): boolean {
  let inside = false;
  for (const ring of p) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if ((yi > lat) !== (yj > lat) && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Whether the point lies inside the geometry (a district, an erasure's area). */
export function geometryContains(g: AreaGeometry, lat: number, lng: number): boolean {
  return polygonsOf(g).some((p) => inPolygon(p, lng, lat));
}

/** Validate a Polygon or MultiPolygon; the typed geometry, or the problems found. */
export function checkGeometry(value: unknown, limits: GeometryLimits): { geometry: AreaGeometry; vertices: number } | { problems: GeoProblem[] } {
  const out: GeoProblem[] = [];
  if (typeof value !== 'object' || value === null || isArray(value)) return { problems: [{ path: [], message: 'Must be a GeoJSON Polygon or MultiPolygon object.' }] };
  const g = value as Record<string, unknown>;
  if (g['type'] !== 'Polygon' && g['type'] !== 'MultiPolygon') {
    return { problems: [{ path: ['type'], message: 'Must be "Polygon" or "MultiPolygon".' }] };
  }
  const extra = Object.keys(g).filter((k) => k !== 'type' && k !== 'coordinates' && k !== 'bbox');
  for (const k of extra) out.push({ path: [k], message: `Unknown field "${k}".` });
  const coords = g['coordinates'];
  if (g['type'] === 'Polygon') checkPolygonShape(coords, ['coordinates'], out);
  else if (!isArray(coords) || coords.length === 0) out.push({ path: ['coordinates'], message: 'A MultiPolygon is an array of polygons.' });
  else for (let i = 0; i < coords.length && out.length < MAX_PROBLEMS; i++) checkPolygonShape(coords[i], ['coordinates', i], out);
  if (out.length) return { problems: out.slice(0, MAX_PROBLEMS) };

  // Positions with an altitude keep only [lng, lat].
  const flat = (p: PolygonCoords): PolygonCoords => p.map((r) => r.map((q) => [q[0], q[1]] as Position));
  const geometry: AreaGeometry = g['type'] === 'Polygon'
    ? { type: 'Polygon', coordinates: flat(coords as PolygonCoords) }
    : { type: 'MultiPolygon', coordinates: (coords as PolygonCoords[]).map(flat) };
  const vertices = vertexCount(geometry);
  if (vertices > limits.maxVertices) {
    return { problems: [{ path: ['coordinates'], message: `At most ${limits.maxVertices} vertices; this has ${vertices}. Simplify the boundary.` }] };
  }
  const polys = polygonsOf(geometry);
  for (let i = 0; i < polys.length; i++) {
    const kink = findKink(polys[i]!);
    if (kink) {
      const base: Array<string | number> = geometry.type === 'Polygon' ? ['coordinates'] : ['coordinates', i];
      return { problems: [{ path: [...base, kink.ring], message: `The boundary crosses itself near [${kink.at[0]}, ${kink.at[1]}] (segment ${kink.index}).` }] };
    }
  }
  return { geometry, vertices };
}
