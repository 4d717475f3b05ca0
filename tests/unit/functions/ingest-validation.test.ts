import { getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { prepareBatch } from '../../../functions/ingest-events/rules/batch.ts';
import { DEFAULT_INGEST_LIMITS, envelopeSchema } from '../../../functions/ingest-events/schema.ts';
import { fieldErrors } from '../../../functions/_shared/validation.ts';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const good = {
  source: 'cad', external_id: 'e-1', category: 'fire', occurred_at: '2026-11-26T11:00:00Z',
  lat: 40.7128, lng: -74.006, weight: 2, attributes: { unit: 'E12' },
};

function errorsFor(patch: Record<string, unknown>, drop: string[] = []): Array<{ path: string; code: string }> {
  const ev: Record<string, unknown> = { ...good, ...patch };
  for (const k of drop) delete ev[k];
  const b = prepareBatch([ev], NOW, DEFAULT_INGEST_LIMITS);
  return b.errors.map((e) => ({ path: e.path, code: e.code }));
}

describe('ingest event validation', () => {
  it('accepts a complete event and computes its res-9 H3 cell', () => {
    const b = prepareBatch([good, { ...good, external_id: 'e-2', weight: undefined, attributes: undefined }], NOW, DEFAULT_INGEST_LIMITS);
    expect(b.rejected).toBe(0);
    expect(b.columns.h3_cell[0]).toBe(latLngToCell(good.lat, good.lng, 9));
    expect(getResolution(b.columns.h3_cell[0]!)).toBe(9);
    expect(b.columns.weight).toEqual([2, 1]);
    expect(b.columns.attributes).toEqual(['{"unit":"E12"}', '{}']);
  });

  const cases: Array<[string, Record<string, unknown>, string[], string]> = [
    ['source missing', {}, ['source'], 'events[0].source'],
    ['source empty', { source: '' }, [], 'events[0].source'],
    ['source too long', { source: 'x'.repeat(101) }, [], 'events[0].source'],
    ['source not a string', { source: 5 }, [], 'events[0].source'],
    ['source with NUL', { source: 'a\u0000b' }, [], 'events[0].source'],
    ['external_id missing', {}, ['external_id'], 'events[0].external_id'],
    ['external_id too long', { external_id: 'x'.repeat(201) }, [], 'events[0].external_id'],
    ['external_id unpaired surrogate', { external_id: 'a\uD800' }, [], 'events[0].external_id'],
    ['category missing', {}, ['category'], 'events[0].category'],
    ['category upper case', { category: 'Fire' }, [], 'events[0].category'],
    ['category too long', { category: 'a'.repeat(64) }, [], 'events[0].category'],
    ['occurred_at missing', {}, ['occurred_at'], 'events[0].occurred_at'],
    ['occurred_at without zone', { occurred_at: '2026-11-26T11:00:00' }, [], 'events[0].occurred_at'],
    ['occurred_at not a date', { occurred_at: 'yesterday' }, [], 'events[0].occurred_at'],
    ['occurred_at in the future', { occurred_at: '2026-11-26T12:06:00Z' }, [], 'events[0].occurred_at'],
    ['occurred_at before 1970', { occurred_at: '1969-12-31T23:59:59Z' }, [], 'events[0].occurred_at'],
    ['lat missing', {}, ['lat'], 'events[0].lat'],
    ['lat 91', { lat: 91 }, [], 'events[0].lat'],
    ['lat -91', { lat: -91 }, [], 'events[0].lat'],
    ['lat a string', { lat: '40.7' }, [], 'events[0].lat'],
    ['lng missing', {}, ['lng'], 'events[0].lng'],
    ['lng 181', { lng: 181 }, [], 'events[0].lng'],
    ['lng -180.5', { lng: -180.5 }, [], 'events[0].lng'],
    ['weight negative', { weight: -1 }, [], 'events[0].weight'],
    ['weight too large', { weight: 1_000_001 }, [], 'events[0].weight'],
    ['weight not a number', { weight: 'heavy' }, [], 'events[0].weight'],
    ['attributes an array', { attributes: [1] }, [], 'events[0].attributes'],
    ['attributes too large', { attributes: { x: 'y'.repeat(5000) } }, [], 'events[0].attributes'],
    ['attributes with NUL', { attributes: { x: 'a\u0000' } }, [], 'events[0].attributes'],
    ['attributes with unpaired surrogate', { attributes: { x: '\uDC00' } }, [], 'events[0].attributes'],
    ['unknown field', { lon: 1 }, [], 'events[0].lon'],
  ];
  for (const [name, patch, drop, path] of cases) {
    it(`rejects ${name} at ${path}`, () => {
      const errs = errorsFor(patch, drop);
      expect(errs.map((e) => e.path)).toContain(path);
    });
  }

  it('accepts the boundaries of every range', () => {
    for (const patch of [{ lat: 90 }, { lat: -90 }, { lng: 180 }, { lng: -180 }, { weight: 0 }, { weight: 1_000_000 },
      { occurred_at: '2026-11-26T12:05:00Z' }, { occurred_at: '2026-11-26T13:00:00+01:00' }, { source: 'x'.repeat(100) },
      { attributes: { text: 'a literal \\u0000 is fine', emoji: '🔥' } }]) {
      expect(errorsFor(patch), JSON.stringify(patch)).toEqual([]);
    }
  });

  it('reports each bad item by index and keeps the good ones', () => {
    const b = prepareBatch([good, { ...good, lat: 100 }, 'not an object', { ...good, external_id: 'e-3' }], NOW, DEFAULT_INGEST_LIMITS);
    expect(b.rejected).toBe(2);
    expect(b.columns.external_id).toEqual(['e-1', 'e-3']);
    expect(b.errors.map((e) => e.index)).toEqual([1, 2]);
  });

  it('caps the listed errors but not the counts', () => {
    const bad = Array.from({ length: 30 }, () => ({ lat: 1 }));
    const b = prepareBatch(bad, NOW, { ...DEFAULT_INGEST_LIMITS, maxReportedErrors: 10 });
    expect(b.rejected).toBe(30);
    expect(b.errors).toHaveLength(10);
    expect(b.errorsTruncated).toBe(true);
  });
});

describe('ingest envelope validation', () => {
  const paths = (body: unknown): string[] => {
    const r = envelopeSchema.safeParse(body);
    return r.success ? [] : fieldErrors(r.error).map((e) => e.path);
  };
  it('requires an events array', () => {
    expect(paths({})).toEqual(['events']);
    expect(paths({ events: 'x' })).toEqual(['events']);
    expect(paths([])).toEqual(['(body)']);
  });
  it('checks org_id and atomic and refuses unknown fields', () => {
    expect(paths({ events: [], org_id: 'nope' })).toEqual(['org_id']);
    expect(paths({ events: [], atomic: 'yes' })).toEqual(['atomic']);
    expect(paths({ events: [], extra: 1 })).toEqual(['extra']);
    expect(paths({ events: [], org_id: '11111111-1111-4111-8111-111111111111', atomic: true })).toEqual([]);
  });
});
