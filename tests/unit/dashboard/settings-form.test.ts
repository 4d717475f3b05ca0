/**
 * The Settings page's pure pieces (dashboard/src/settings-form.ts): which control a
 * server field error belongs to, GeoJSON files read into what org-settings takes, the
 * scan thresholds read from the form, and the time zones offered.
 */
import { describe, expect, it } from 'vitest';
import {
  areaFromText, districtsFromText, fieldForPath, SCAN_NUMBERS, scanFromForm, scanValue, timeZoneNames,
} from '../../../dashboard/src/settings-form.ts';
import { DEFAULT_SCAN_SETTINGS } from '../../../functions/_shared/org-settings.ts';
import type { ScanSettings } from '../../../dashboard/src/settings-api.ts';

const FIELDS = ['time_zone', 'area', 'districts', 'categories', 'categories[1].label', 'categories[10].label', 'scan.min_cases', 'scan.severity_days', 'scan.severity_days.low'];
const POLYGON = { type: 'Polygon', coordinates: [[[4, 54], [4.1, 54], [4.1, 54.1], [4, 54]]] };

describe('fieldForPath', () => {
  it('the longest field the path names, at a . or [ boundary', () => {
    expect(fieldForPath('area.coordinates[0][3][1]', FIELDS)).toBe('area');
    expect(fieldForPath('categories[1].label', FIELDS)).toBe('categories[1].label');
    expect(fieldForPath('categories[10].label', FIELDS)).toBe('categories[10].label');
    expect(fieldForPath('categories[2].key', FIELDS)).toBe('categories');
    expect(fieldForPath('scan.severity_days', FIELDS)).toBe('scan.severity_days');
    expect(fieldForPath('scan.severity_days.low', FIELDS)).toBe('scan.severity_days.low');
    expect(fieldForPath('time_zone', FIELDS)).toBe('time_zone');
  });
  it('no field for a path no control holds, nor for a mere string prefix', () => {
    expect(fieldForPath('', FIELDS)).toBeNull();
    expect(fieldForPath('map', FIELDS)).toBeNull();
    expect(fieldForPath('areas', FIELDS)).toBeNull();
    expect(fieldForPath('scan.min_cases_x', FIELDS)).toBeNull();
  });
});

describe('GeoJSON text', () => {
  it('an area: a geometry, a Feature\'s, or a one-feature collection\'s geometry', () => {
    expect(areaFromText(JSON.stringify(POLYGON))).toEqual({ value: POLYGON });
    expect(areaFromText(JSON.stringify({ type: 'Feature', properties: {}, geometry: POLYGON }))).toEqual({ value: POLYGON });
    expect(areaFromText(JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: POLYGON }] }))).toEqual({ value: POLYGON });
  });
  it('an area: several features, empty text or broken JSON are said, not sent', () => {
    const two = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: POLYGON }, { type: 'Feature', geometry: POLYGON }] };
    expect(areaFromText(JSON.stringify(two))).toEqual({ error: expect.stringMatching(/one feature.*has 2/) });
    expect(areaFromText('  ')).toEqual({ error: 'Choose a file or paste GeoJSON.' });
    expect(areaFromText('{"type":')).toEqual({ error: expect.stringMatching(/^Not valid JSON/) });
  });
  it('an area of the wrong type is sent as given, for the function to name the problem', () => {
    expect(areaFromText('{"type":"Point","coordinates":[4,54]}')).toEqual({ value: { type: 'Point', coordinates: [4, 54] } });
  });
  it('districts: a collection\'s features, a list, or one feature; anything else is said', () => {
    const f = { type: 'Feature', properties: { name: 'Kralingen' }, geometry: POLYGON };
    expect(districtsFromText(JSON.stringify({ type: 'FeatureCollection', features: [f, f] }))).toEqual({ value: [f, f] });
    expect(districtsFromText(JSON.stringify([f]))).toEqual({ value: [f] });
    expect(districtsFromText(JSON.stringify(f))).toEqual({ value: [f] });
    expect(districtsFromText(JSON.stringify(POLYGON))).toEqual({ error: expect.stringMatching(/FeatureCollection/) });
  });
});

describe('scan thresholds from the form', () => {
  const scan = DEFAULT_SCAN_SETTINGS as unknown as ScanSettings;
  const text = Object.fromEntries(SCAN_NUMBERS.map((n) => [n.path, String(scanValue(scan, n.path))]));

  it('the defaults read back as they were: the page covers every threshold the function takes', () => {
    expect(scanFromForm(text, scan.scheduled, scan.fire_immediately_at)).toEqual({ value: DEFAULT_SCAN_SETTINGS });
  });
  it('numbers from text, tiers nested', () => {
    const r = scanFromForm({ ...text, min_cases: ' 5 ', 'severity_days.high': '120.5' }, false, 'critical');
    expect(r).toMatchObject({ value: { min_cases: 5, scheduled: false, fire_immediately_at: 'critical', severity_days: { low: 7, medium: 30, high: 120.5, critical: 365 } } });
  });
  it('a field that is not a number is a field error and nothing is sent', () => {
    expect(scanFromForm({ ...text, min_cases: '', 'severity_days.low': 'abc' }, true, 'high')).toEqual({
      errors: [{ path: 'scan.min_cases', message: 'Enter a number.' }, { path: 'scan.severity_days.low', message: 'Enter a number.' }],
    });
  });
});

describe('timeZoneNames', () => {
  it('adds UTC when the runtime leaves it out; sorted, no duplicates', () => {
    expect(timeZoneNames(['Europe/Amsterdam', 'America/New_York', 'UTC'])).toEqual(['America/New_York', 'Europe/Amsterdam', 'UTC']);
    expect(timeZoneNames(['Europe/Amsterdam'])).toContain('UTC');
  });
});
