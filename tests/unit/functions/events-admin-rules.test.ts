/**
 * events-admin's pure parts: which events an erasure's GeoJSON area names (bounding box,
 * even-odd inside test with holes), and the request schema's ways of naming events.
 */
import { latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { boundingBox, idsInside } from '../../../functions/events-admin/rules/area.ts';
import { eraseSchema } from '../../../functions/events-admin/schema.ts';
import type { AreaGeometry } from '../../../functions/_shared/geojson.ts';
import { fieldErrors } from '../../../functions/_shared/validation.ts';

type P = [number, number];
const box = (w: number, s: number, e: number, n: number): P[] => [[w, s], [e, s], [e, n], [w, n], [w, s]];
const ORG = '11111111-1111-4111-8111-111111111111';

describe('erasure area', () => {
  const donut: AreaGeometry = { type: 'Polygon', coordinates: [box(0, 0, 10, 10), box(4, 4, 6, 6)] };
  const two: AreaGeometry = { type: 'MultiPolygon', coordinates: [[box(0, 0, 1, 1)], [[[20, 20], [22, 20], [21, 23], [20, 20]]]] };

  it('the bounding box spans every polygon\'s outer ring', () => {
    expect(boundingBox(donut)).toEqual({ south: 0, west: 0, north: 10, east: 10 });
    expect(boundingBox(two)).toEqual({ south: 0, west: 0, north: 23, east: 22 });
  });

  it('keeps the events inside, not those in a hole or outside', () => {
    const evs = [
      { id: '1', lat: 2, lng: 2 }, { id: '2', lat: 5, lng: 5 }, { id: '3', lat: 11, lng: 5 }, { id: '4', lat: 9.9, lng: 0.1 },
    ];
    expect(idsInside(evs, donut)).toEqual(['1', '4']);
    expect(idsInside([{ id: 'a', lat: 0.5, lng: 0.5 }, { id: 'b', lat: 21, lng: 21 }, { id: 'c', lat: 10, lng: 10 }], two)).toEqual(['a', 'b']);
  });
});

describe('erase request', () => {
  const parse = (body: Record<string, unknown>) => eraseSchema.safeParse({ action: 'erase', org_id: ORG, ...body });
  const paths = (body: Record<string, unknown>) => {
    const r = parse(body);
    return r.success ? [] : fieldErrors(r.error).map((e) => e.path);
  };

  it('by source and external ids (duplicates dropped)', () => {
    const r = parse({ source: 'calls', external_ids: ['a', 'b', 'a'], reason: '  request 9 ' });
    expect(r.success && r.data).toEqual({ by: 'ids', orgId: ORG, reason: 'request 9', source: 'calls', externalIds: ['a', 'b'] });
  });

  it('by period and area, or period and cells, with an optional category', () => {
    const area = { type: 'Polygon', coordinates: [box(4, 51, 5, 52)] };
    const r = parse({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00+01:00', area, category: 'fire' });
    expect(r.success && r.data).toMatchObject({ by: 'range', from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-31T23:00:00Z'), category: 'fire', area });
    const cell = latLngToCell(51.9, 4.4, 7);
    expect(parse({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', cells: [cell, cell] }).data).toMatchObject({ by: 'range', cells: [cell], category: null });
  });

  it('every missing or conflicting part is a field error', () => {
    const period = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };
    expect(paths({})).toEqual(['(body)']);
    expect(paths({ external_ids: ['a'] })).toEqual(['source']);
    expect(paths({ source: 'calls', ...period, cells: [latLngToCell(1, 1, 9)] })).toEqual(['(body)']);
    expect(paths({ to: period.to, category: 'fire' })).toEqual(['from', 'area']);
    expect(paths({ from: period.to, to: period.from, cells: [latLngToCell(1, 1, 9)] })).toEqual(['to']);
    expect(paths({ ...period, from: '2026-01-01 00:00' , cells: [latLngToCell(1, 1, 9)] })).toEqual(['from']); // no offset
    expect(paths({ ...period, cells: [latLngToCell(1, 1, 11), 'zz'] })).toEqual(['cells[0]', 'cells[1]']);
    expect(paths({ ...period, area: { type: 'Point', coordinates: [1, 1] } })).toEqual(['area.type']);
    expect(paths({ ...period, cells: [latLngToCell(1, 1, 9)], category: 'Fire!' })).toEqual(['category']);
    expect(paths({ source: 'calls', external_ids: ['a'], reason: 'x'.repeat(501) })).toEqual(['reason']);
  });
});
