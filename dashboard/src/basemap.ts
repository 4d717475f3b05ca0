/**
 * The synthetic city's vector basemap, generated in code and shipped in the bundle:
 * no tile server is reachable in air-gapped rooms, and the page talks to no origin but
 * its own. Coordinates are km east (x) and north (y) of DEMO_CENTER; the map projects
 * them like everything else. Deterministic: the same city on every load.
 */
import { coastY, HARBOUR } from './city.ts';
import { mulberry32 } from './demo-data.ts';

export type Pt = readonly [number, number];

export interface Basemap {
  /** Visible extent in km: [minX, minY, maxX, maxY]. */
  extent: readonly [number, number, number, number];
  sea: Pt[];
  harbour: Pt[];
  river: Pt[];
  parks: Array<{ name: string; ring: Pt[] }>;
  districts: Array<{ name: string; ring: Pt[]; label: Pt }>;
  majorRoads: Pt[][];
  minorRoads: Pt[][];
  rail: Pt[];
  labels: Array<{ text: string; at: Pt; kind: 'water' | 'park' }>;
}

export const BASEMAP_EXTENT = [-5.5, -4.5, 5.5, 4.5] as const;

/** Keep the part of a convex polygon on the side of the line where a·p ≤ b (Sutherland–Hodgman). */
function clipHalfPlane(poly: Pt[], ax: number, ay: number, b: number): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i]!;
    const q = poly[(i + 1) % poly.length]!;
    const fp = ax * p[0] + ay * p[1] - b;
    const fq = ax * q[0] + ay * q[1] - b;
    if (fp <= 0) out.push(p);
    if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0)) {
      const t = fp / (fp - fq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

/** The part of a convex polygon inside a box [minX, minY, maxX, maxY]. */
export function clipToBox(poly: Pt[], [x0, y0, x1, y1]: readonly [number, number, number, number]): Pt[] {
  return clipHalfPlane(clipHalfPlane(clipHalfPlane(clipHalfPlane(poly, -1, 0, -x0), 1, 0, x1), 0, -1, -y0), 0, 1, y1);
}

/** Voronoi cell of each site within the extent (n ≤ a few dozen: O(n²) clipping is instant). */
function voronoi(sites: readonly Pt[], extent: readonly [number, number, number, number]): Pt[][] {
  const [x0, y0, x1, y1] = extent;
  return sites.map((s, i) => {
    let poly: Pt[] = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    sites.forEach((o, j) => {
      if (i === j) return;
      const ax = o[0] - s[0];
      const ay = o[1] - s[1];
      const b = (o[0] ** 2 + o[1] ** 2 - s[0] ** 2 - s[1] ** 2) / 2;
      poly = clipHalfPlane(poly, ax, ay, b);
    });
    return poly;
  });
}

function ellipse(cx: number, cy: number, rx: number, ry: number, rot: number, n = 28, wobble = 0, seed = 7): Pt[] {
  const rand = mulberry32(seed);
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const k = 1 + wobble * (rand() - 0.5);
    const x = rx * k * Math.cos(a);
    const y = ry * k * Math.sin(a);
    return [cx + x * c - y * s, cy + x * s + y * c] as Pt;
  });
}

/** Smooth a polyline with Chaikin's corner cutting. */
function chaikin(points: Pt[], rounds = 3): Pt[] {
  let pts = points;
  for (let r = 0; r < rounds; r++) {
    const next: Pt[] = [pts[0]!];
    for (let i = 0; i < pts.length - 1; i++) {
      const p = pts[i]!;
      const q = pts[i + 1]!;
      next.push([0.75 * p[0] + 0.25 * q[0], 0.75 * p[1] + 0.25 * q[1]], [0.25 * p[0] + 0.75 * q[0], 0.25 * p[1] + 0.75 * q[1]]);
    }
    next.push(pts[pts.length - 1]!);
    pts = next;
  }
  return pts;
}

function buildBasemap(): Basemap {
  const [x0, y0, x1, y1] = BASEMAP_EXTENT;
  // The sea runs well past the extent so a zoomed-out or letterboxed map shows no edge.
  const coast: Pt[] = [];
  for (let x = x0 - 20; x <= x1 + 20 + 1e-9; x += 0.25) coast.push([x, coastY(Math.min(x1, Math.max(x0, x)))]);
  const sea: Pt[] = [...coast, [x1 + 20, y1 + 20], [x0 - 20, y1 + 20]];

  const districtSites: Array<{ name: string; at: Pt }> = [
    { name: 'Old Town', at: [0, 0] },
    { name: 'Harbourside', at: [2.5, 2.0] },
    { name: 'Westfield', at: [-2.3, -0.5] },
    { name: 'Greyfriars', at: [-0.6, 1.7] },
    { name: 'Millbrook', at: [-3.8, 1.4] },
    { name: 'Eastgate', at: [3.6, -0.5] },
    { name: 'Riverside', at: [0.8, -2.0] },
    { name: 'Hillcrest', at: [-2.6, -3.0] },
    { name: 'Southport', at: [3.2, -3.2] },
    { name: 'Kingsmere', at: [-4.6, -1.4] },
    { name: 'Fenwick', at: [0.2, 3.2] },
    { name: 'Northside', at: [-2.0, 2.6] },
  ];
  // Boundaries run on past the extent, so zooming out shows no artificial edge.
  const cells = voronoi(districtSites.map((d) => d.at), [x0 - 20, y0 - 20, x1 + 20, y1 + 20]);
  const districts = districtSites.map((d, i) => ({ name: d.name, ring: cells[i]!, label: d.at }));

  const river = chaikin([[x0, -2.3], [-3.4, -1.5], [-1.6, -1.3], [-0.2, -1.0], [1.2, -1.5], [2.2, -0.6], [2.7, 0.7], [2.9, 1.9], [2.5, 3.1]]);

  const harbour: Pt[] = HARBOUR.map(([x, y]) => [x, y] as Pt);

  const parks = [
    { name: 'Central Park', ring: ellipse(-0.9, 0.9, 0.55, 0.32, 0.3, 28, 0.15, 11) },
    { name: 'Wend Meadows', ring: ellipse(-2.6, -1.9, 0.7, 0.3, -0.1, 28, 0.25, 12) },
    { name: 'Southwood', ring: ellipse(2.4, -3.4, 1.1, 0.6, 0.4, 32, 0.3, 13) },
    { name: 'Millbrook Common', ring: ellipse(-4.1, 1.6, 0.5, 0.4, 0, 24, 0.2, 14) },
  ];

  // Ring road, radial avenues, a tilted downtown street grid.
  const ring = ellipse(0, 0, 3.1, 2.6, 0.15, 72, 0.04, 21);
  const majorRoads: Pt[][] = [[...ring, ring[0]!]];
  for (const deg of [10, 55, 100, 145, 190, 235, 280, 325]) {
    const a = (deg * Math.PI) / 180;
    const road: Pt[] = [];
    for (let r = 0.2; r <= 7; r += 0.5) {
      const p: Pt = [r * Math.cos(a) + 0.15 * Math.sin(r * 1.7 + deg), r * Math.sin(a)];
      if (p[0] < x0 || p[0] > x1 || p[1] < y0 || p[1] > y1) break;
      if (p[1] > coastY(p[0]) - 0.05) break;
      road.push(p);
    }
    if (road.length > 1) majorRoads.push(road);
  }
  const minorRoads: Pt[][] = [];
  const tilt = (12 * Math.PI) / 180;
  const rot = (p: Pt): Pt => [p[0] * Math.cos(tilt) - p[1] * Math.sin(tilt), p[0] * Math.sin(tilt) + p[1] * Math.cos(tilt)];
  const R = 1.45;
  for (let c = -R + 0.3; c < R; c += 0.3) {
    const half = Math.sqrt(R * R - c * c);
    minorRoads.push([rot([-half, c]), rot([half, c])], [rot([c, -half]), rot([c, half])]);
  }
  // Suburban streets: short spurs off the ring.
  const rand = mulberry32(31);
  for (let i = 0; i < 36; i++) {
    const p = ring[(i * 2) % ring.length]!;
    const len = 0.6 + rand() * 0.9;
    const a = Math.atan2(p[1], p[0]) + (rand() - 0.5) * 0.6;
    const q: Pt = [p[0] + len * Math.cos(a), p[1] + len * Math.sin(a)];
    if (q[1] < coastY(q[0]) - 0.1) minorRoads.push([p, q]);
  }

  const rail = chaikin([[x0, 0.9], [-3, 0.7], [-1.2, 0.55], [0.4, 0.45], [2, 0.1], [3.6, -0.9], [x1, -1.6]], 2);

  return {
    extent: BASEMAP_EXTENT,
    sea, harbour, river, parks, districts, majorRoads, minorRoads, rail,
    labels: [
      { text: 'North Sea', at: [-4.0, 4.25], kind: 'water' },
      { text: 'Harbour', at: [2.5, 3.6], kind: 'water' },
      { text: 'River Wend', at: [-1.7, -1.55], kind: 'water' },
      ...parks.slice(0, 1).map((p) => ({ text: p.name, at: [-0.9, 0.9] as Pt, kind: 'park' as const })),
    ],
  };
}

let cached: Basemap | undefined;
export function basemap(): Basemap {
  cached ??= buildBasemap();
  return cached;
}
