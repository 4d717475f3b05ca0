/** Places in words: inside a district, spanning several, outside all, and no districts. */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import type { DistrictFeature } from '../../../functions/_shared/org-settings.ts';
import { compass as compassOf, districtContains, distanceToDistrictM, formatDistance, placeWords } from '../../../functions/hotspot-scan/rules/places.ts';

const district = (name: string, w: number, s: number, e: number, n: number): DistrictFeature => ({
  type: 'Feature', properties: { name },
  geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] },
});
// Three boxes in Rotterdam: Crooswijk west of Kralingen, Noord north of both.
const KRALINGEN = district('Kralingen', 4.50, 51.90, 4.54, 51.93);
const CROOSWIJK = district('Crooswijk', 4.46, 51.90, 4.50, 51.93);
const NOORD = district('Noord', 4.46, 51.93, 4.54, 51.96);
const ALL = [CROOSWIJK, KRALINGEN, NOORD];
const at = (cell: string) => { const [lat, lng] = cellToLatLng(cell); return { cell, lat, lng }; };

describe('placeWords', () => {
  it('names the district containing the centre cell', () => {
    const c = latLngToCell(51.915, 4.52, 8);
    expect(placeWords(at(c), gridDisk(c, 1), ALL)).toBe('in Kralingen');
  });

  it('a hotspot spanning two districts names both, largest overlap first', () => {
    const c = latLngToCell(51.915, 4.498, 8);
    const cells = gridDisk(c, 2);
    const inK = cells.filter((x) => districtContains(KRALINGEN, ...cellToLatLng(x))).length;
    const inC = cells.filter((x) => districtContains(CROOSWIJK, ...cellToLatLng(x))).length;
    expect(inK).toBeGreaterThan(0);
    expect(inC).toBeGreaterThan(0);
    expect(inK).not.toBe(inC);
    expect(placeWords(at(c), cells, ALL)).toBe(inK > inC ? 'in Kralingen and Crooswijk' : 'in Crooswijk and Kralingen');
  });

  it('more than two: the two largest, then "and N more"', () => {
    const c = latLngToCell(51.93, 4.50, 8);
    expect(placeWords(at(c), gridDisk(c, 3), ALL)).toMatch(/^in (Kralingen|Crooswijk|Noord), (Kralingen|Crooswijk|Noord) and 1 more$/);
  });

  it('outside every district: the nearest, its distance and the direction from it', () => {
    // About 1.2 km east of Kralingen's east edge.
    const c = latLngToCell(51.915, 4.5575, 8);
    const words = placeWords(at(c), [c], ALL);
    const [lat, lng] = cellToLatLng(c);
    expect(words).toBe(`${formatDistance(distanceToDistrictM(KRALINGEN, lat, lng))} E of Kralingen`);
    expect(words).toMatch(/^1\.\d km E of Kralingen$/);
    // South-west of Crooswijk.
    const sw = latLngToCell(51.88, 4.43, 8);
    expect(placeWords(at(sw), [sw], ALL)).toMatch(/^\d\.\d km SW of Crooswijk$/);
  });

  it('no districts: coordinates, never the H3 index', () => {
    const c = latLngToCell(51.92, 4.48, 8);
    const words = placeWords(at(c), [c], []);
    expect(words).toMatch(/^near 51\.9\d\d, 4\.4\d\d$/);
    expect(words).not.toContain(c);
  });
});

describe('helpers', () => {
  it('compass points and distances', () => {
    expect(compassOf([4.5, 51.9], [4.5, 52.0])).toBe('N');
    expect(compassOf([4.5, 51.9], [4.6, 51.96])).toBe('NE');
    expect(compassOf([4.5, 51.9], [4.4, 51.9])).toBe('W');
    expect([formatDistance(420), formatDistance(1234), formatDistance(12_345), formatDistance(20)]).toEqual(['400 m', '1.2 km', '12 km', '100 m']);
  });
});

describe('alert words with the org\'s context', () => {
  it('"Flooding in Kralingen: 40 events in 1 cell over the last 2 h", local time, no H3 index in the words', async () => {
    const { planScan } = await import('../../../functions/hotspot-scan/rules/plan.ts');
    const { DEFAULT_SCAN_CONFIG } = await import('../../../functions/hotspot-scan/rules/config.ts');
    const c = latLngToCell(51.915, 4.52, 8);
    const [lat, lng] = cellToLatLng(c);
    const end = Date.UTC(2026, 6, 1, 14); // 16:00 in Amsterdam (CEST)
    const det = {
      category: 'flood', model: 'ebp' as const, severity: 'critical' as const, cells: [c], centerCell: c, centerLat: lat, centerLng: lng, radiusM: 500,
      windowStart: end - 2 * 3_600_000, windowEnd: end, observed: 40, expected: 2, relativeRisk: 20, score: 50, pValue: 0.001, recurrenceIntervalDays: 1000,
    };
    const ctx = { districts: ALL, categories: [{ key: 'flood', label: 'flooding', colour: '#0000ff', enabled: true }], timeZone: 'Europe/Amsterdam' };
    const empty = { hotspots: [], alerts: [], lastResolvedAlerts: [] };
    const p = planScan(empty, [det], end - 60_000, DEFAULT_SCAN_CONFIG, new Set(), ctx);
    const text = p.alerts[0]!.text!;
    expect(text.title).toBe('Flooding in Kralingen: 40 events in 1 cell over the last 2 h');
    expect(text.description).toMatch(/^Critical-severity flooding cluster in Kralingen: 40 flooding events/);
    expect(text.description).toContain('(since 14:00 Europe/Amsterdam)');
    expect(text.title + text.description).not.toContain(c);
    expect(p.recommendations[0]!.facts.label).toBe('flooding');
  });
});
