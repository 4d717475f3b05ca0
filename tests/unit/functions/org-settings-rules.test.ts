/** The org-settings rules: GeoJSON validation, the area's H3 cells, IANA zones, the request schema. */
import { describe, expect, it } from 'vitest';
import { areaCells } from '../../../functions/org-settings/rules/area-cells.ts';
import { checkGeometry, findKink, type Position } from '../../../functions/_shared/geojson.ts';
import { isTimeZone } from '../../../functions/org-settings/rules/time-zone.ts';
import { updateSchema } from '../../../functions/org-settings/schema.ts';
import { fieldErrors } from '../../../functions/_shared/validation.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
/** A lng/lat box around central Rotterdam (about 3 × 2 km). */
const box = (w = 4.46, s = 51.91, e = 4.50, n = 51.93): Position[] => [[w, s], [e, s], [e, n], [w, n], [w, s]];
const polygon = (...rings: Position[][]) => ({ type: 'Polygon', coordinates: rings });
const limits = { maxVertices: 10_000 };

describe('checkGeometry', () => {
  it('accepts a Polygon, a Polygon with a hole and a MultiPolygon (altitudes dropped)', () => {
    expect(checkGeometry(polygon(box()), limits)).toMatchObject({ vertices: 5 });
    expect(checkGeometry(polygon(box(), box(4.47, 51.915, 4.48, 51.92)), limits)).toMatchObject({ vertices: 10 });
    const r = checkGeometry({ type: 'MultiPolygon', coordinates: [[box().map(([x, y]) => [x, y, 3])], [box(5, 52, 5.01, 52.01)]] }, limits);
    expect('geometry' in r && r.geometry.coordinates[0]![0]![0]).toEqual([4.46, 51.91]);
  });

  it('refuses the wrong type, open rings, short rings, bad and out-of-range positions, with paths', () => {
    expect(checkGeometry({ type: 'Point', coordinates: [4, 52] }, limits)).toEqual({ problems: [{ path: ['type'], message: expect.any(String) }] });
    expect(checkGeometry([1, 2], limits)).toMatchObject({ problems: [{ path: [] }] });
    const open = box().slice(0, 4).concat([[4.47, 51.91]]);
    expect(checkGeometry(polygon(open), limits)).toMatchObject({ problems: [{ path: ['coordinates', 0], message: expect.stringMatching(/closed/) }] });
    expect(checkGeometry(polygon(box().slice(0, 3)), limits)).toMatchObject({ problems: [{ path: ['coordinates', 0] }] });
    const far: Position[] = [[4, 51], [190, 51], [4, 95], [4, 51]];
    expect(checkGeometry(polygon(far), limits)).toMatchObject({ problems: [{ path: ['coordinates', 0, 1, 0] }, { path: ['coordinates', 0, 2, 1] }] });
    expect(checkGeometry(polygon([[4, 51], ['x', 51], [4, 52], [4, 51]] as never), limits)).toMatchObject({ problems: [{ path: ['coordinates', 0, 1] }] });
  });

  it('refuses a self-intersecting ring (a bow tie), a hole crossing its shell and a ring folding back', () => {
    const bowTie: Position[] = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]];
    expect(findKink([bowTie])).not.toBeNull();
    expect(checkGeometry(polygon(bowTie), limits)).toMatchObject({ problems: [{ path: ['coordinates', 0], message: expect.stringMatching(/crosses itself/) }] });
    const crossingHole = box(4.49, 51.915, 4.52, 51.92);
    expect(checkGeometry(polygon(box(), crossingHole), limits)).toMatchObject({ problems: [{ message: expect.stringMatching(/crosses itself/) }] });
    const spike: Position[] = [[0, 0], [2, 0], [1, 0], [1, 1], [0, 0]];
    expect(findKink([spike])).not.toBeNull();
    // A convex ring, a concave one and repeated vertices are fine.
    expect(findKink([box()])).toBeNull();
    expect(findKink([[[0, 0], [4, 0], [4, 4], [2, 1], [0, 4], [0, 0]]])).toBeNull();
    expect(findKink([[[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0]]])).toBeNull();
  });

  it('refuses more vertices than the limit', () => {
    const n = 10_001;
    const circle: Position[] = Array.from({ length: n }, (_, i) => [4.48 + 0.01 * Math.cos((2 * Math.PI * i) / n), 51.92 + 0.01 * Math.sin((2 * Math.PI * i) / n)]);
    circle.push(circle[0]!);
    expect(checkGeometry(polygon(circle), limits)).toMatchObject({ problems: [{ path: ['coordinates'], message: expect.stringMatching(/At most 10000 vertices/) }] });
    // A 9,999-vertex circle passes, kink check included, quickly.
    const ok = circle.slice(0, 9_998);
    ok.push(ok[0]!);
    const t0 = performance.now();
    expect(checkGeometry(polygon(ok), limits)).toMatchObject({ vertices: 9_999 });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('areaCells', () => {
  it('covers the area with res-8 cells and refuses too many or none', () => {
    const g = { type: 'Polygon' as const, coordinates: [box()] };
    const r = areaCells(g, 50_000);
    expect('cells' in r && r.cells.length).toBeGreaterThan(3);
    expect(areaCells(g, 2)).toEqual({ error: expect.stringMatching(/at most 2/) });
    const huge = { type: 'Polygon' as const, coordinates: [box(-10, 40, 20, 60)] };
    expect(areaCells(huge, 50_000)).toEqual({ error: expect.stringMatching(/about \d+ resolution-8 cells/) });
    const tiny = { type: 'Polygon' as const, coordinates: [box(4.48, 51.92, 4.4801, 51.9201)] };
    expect(areaCells(tiny, 50_000)).toEqual({ error: expect.stringMatching(/too small/) });
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    for (const z of ['Europe/Amsterdam', 'America/Argentina/Buenos_Aires', 'UTC', 'Asia/Kolkata']) expect(isTimeZone(z)).toBe(true);
    for (const z of ['Mars/Olympus', 'CET+1', '', '+01:00', 'Europe/Amsterdam/../x']) expect(isTimeZone(z)).toBe(false);
  });
});

describe('updateSchema', () => {
  const parse = (b: Record<string, unknown>) => updateSchema.safeParse({ action: 'update', org_id: ORG, ...b });
  it('field errors carry the field path', () => {
    const r = parse({ area: polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), time_zone: 'Mars/Base', scan: { min_cases: 0, bogus: 1 } });
    expect(r.success).toBe(false);
    const paths = fieldErrors(r.error!).map((e) => e.path).sort();
    expect(paths).toEqual(['area.coordinates[0]', 'scan.bogus', 'scan.min_cases', 'time_zone']);
  });
  it('districts need a name ≤ 500 and a valid geometry; categories unique keys and #rrggbb colours', () => {
    const d = (name: unknown, geometry: unknown = polygon(box())) => ({ type: 'Feature', properties: { name }, geometry });
    const r = parse({
      districts: [d('Kralingen'), d('x'.repeat(501)), d('Bad', { type: 'LineString', coordinates: [] })],
      categories: [{ key: 'flood', label: 'Flooding', colour: '#0000ff', enabled: true }, { key: 'flood', label: 'x', colour: 'blue', enabled: true }],
    });
    expect(fieldErrors(r.error!).map((e) => e.path).sort()).toEqual([
      'categories[1].colour', 'categories[1].key', 'districts[1].properties.name', 'districts[2].geometry.type',
    ]);
    const ok = parse({ districts: [d('Kralingen')] });
    expect(ok.success && ok.data.districts).toEqual([{ type: 'Feature', properties: { name: 'Kralingen' }, geometry: polygon(box()) }]);
  });
  it('needs at least one field; severity tiers must not decrease', () => {
    expect(parse({}).success).toBe(false);
    expect(parse({ scan: { severity_days: { low: 7, medium: 300, high: 100, critical: 365 } } }).success).toBe(false);
    expect(parse({ scan: { severity_days: { low: 1, medium: 2, high: 3, critical: 4 } } }).success).toBe(true);
  });
});
