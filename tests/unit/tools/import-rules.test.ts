import { describe, expect, it } from 'vitest';
import { mapRow, parseCategoryMap, parseColumnMap, type MapOptions } from '../../../tools/import/mapping.ts';
import { csvField, rejectLine } from '../../../tools/import/rejects.ts';
import { rowHashId } from '../../../tools/import/row-id.ts';
import { assertTimeZone, parseTimestamp } from '../../../tools/import/timestamps.ts';

describe('timestamps', () => {
  it('takes offsets as given and refuses a wall-clock time without --tz', () => {
    expect(parseTimestamp('2025-06-01T12:00:00+02:00', null)).toEqual({ iso: '2025-06-01T10:00:00.000Z' });
    expect(parseTimestamp('2025-06-01 12:00:00Z', null)).toEqual({ iso: '2025-06-01T12:00:00.000Z' });
    expect(parseTimestamp('2025-06-01 12:00', null)).toEqual({ reason: expect.stringMatching(/no time zone offset \(give --tz\)/) });
    expect(parseTimestamp('yesterday', 'UTC')).toEqual({ reason: expect.stringMatching(/not an ISO 8601/) });
    expect(parseTimestamp('2025-02-30 10:00', 'UTC')).toEqual({ reason: expect.stringMatching(/not a valid date/) });
    expect(parseTimestamp('', 'UTC')).toEqual({ reason: 'occurred_at is empty' });
  });
  it('reads wall-clock times in the zone, across daylight saving', () => {
    expect(parseTimestamp('2025-01-15 09:30', 'Europe/Amsterdam')).toEqual({ iso: '2025-01-15T08:30:00.000Z' });
    expect(parseTimestamp('2025-07-15T09:30:00.250', 'Europe/Amsterdam')).toEqual({ iso: '2025-07-15T07:30:00.250Z' });
    expect(parseTimestamp('2025-07-15', 'America/New_York')).toEqual({ iso: '2025-07-15T04:00:00.000Z' });
    // 02:30 does not exist on 2025-03-30 in Amsterdam (clocks jump 02:00 → 03:00): the offset before applies.
    expect(parseTimestamp('2025-03-30 02:30', 'Europe/Amsterdam')).toEqual({ iso: '2025-03-30T01:30:00.000Z' });
    // 02:30 happens twice on 2025-10-26: the earlier instant.
    expect(parseTimestamp('2025-10-26 02:30', 'Europe/Amsterdam')).toEqual({ iso: '2025-10-26T00:30:00.000Z' });
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
  });
});

describe('mapping', () => {
  const opts = (over: Partial<MapOptions> = {}): MapOptions => ({
    columns: parseColumnMap('lat=Latitude,lng=Longitude,occurred_at=Date,category=Type,external_id=ID'),
    categories: parseCategoryMap('FLOOD=flood,Water main break=infrastructure'),
    tz: 'UTC', source: 'calls', ...over,
  });
  const row = { Latitude: '52.37', Longitude: '4.89', Date: '2025-01-02 03:04:05', Type: 'water MAIN break', ID: ' 17 ' };
  it('maps columns, categories (case-insensitive after exact) and ids', () => {
    expect(mapRow({ fields: row }, opts())).toEqual({ event: {
      source: 'calls', external_id: '17', category: 'infrastructure', occurred_at: '2025-01-02T03:04:05.000Z', lat: 52.37, lng: 4.89,
    } });
  });
  it('says why a row is refused', () => {
    expect(mapRow({ fields: { ...row, Latitude: 'north' } }, opts())).toEqual({ reason: 'lat "north" is not a number' });
    expect(mapRow({ fields: { ...row, Longitude: '200' } }, opts())).toEqual({ reason: 'lng 200 is outside [-180, 180]' });
    expect(mapRow({ fields: { ...row, Type: 'Alien landing' } }, opts())).toEqual({ reason: expect.stringMatching(/not a category \(map it with --category-map\)/) });
    expect(mapRow({ fields: { ...row, ID: '' } }, opts())).toEqual({ reason: 'external_id is empty' });
    expect(mapRow({ fields: row }, opts({ tz: null }))).toEqual({ reason: expect.stringMatching(/give --tz/) });
  });
  it('without an external_id column the id is a stable hash of the mapped fields; a GeoJSON point gives coordinates', () => {
    const { ID: _, ...noId } = row;
    const a = mapRow({ fields: noId }, opts());
    const b = mapRow({ fields: { ...noId, Extra: 'ignored' } }, opts());
    expect(a).toEqual(b);
    expect('event' in a && a.event.external_id).toMatch(/^h:[0-9a-f]{40}$/);
    expect(rowHashId({ source: 's', category: 'fire', occurred_at: 'x', lat: 1, lng: 2 })).not.toBe(rowHashId({ source: 's', category: 'fire', occurred_at: 'x', lat: 2, lng: 1 }));
    const geo = mapRow({ fields: { Date: '2025-01-02T00:00:00Z', Type: 'FLOOD', ID: 'g1' }, point: [4.9, 52.4] }, opts());
    expect(geo).toMatchObject({ event: { lat: 52.4, lng: 4.9, category: 'flood' } });
  });
  it('refuses bad option specs', () => {
    expect(() => parseColumnMap('lon=Longitude')).toThrow(/unknown target "lon"/);
    expect(() => parseColumnMap('lat')).toThrow(/name=value/);
    expect(() => parseCategoryMap('X=Not A Category')).toThrow(/not a category/);
  });
});

describe('rejects file', () => {
  it('quotes what CSV needs quoted', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(rejectLine(3, 'x,y', 'lat is missing')).toBe('3,"x,y",lat is missing\n');
  });
});

describe('command line and progress', async () => {
  const { parseOptions } = await import('../../../tools/import/options.ts');
  const { progressText, summaryLine } = await import('../../../tools/import/progress.ts');
  const ORG = '6f1c3a52-8a51-4d61-9d0b-1f2a3b4c5d6e';
  it('reads the options with their defaults and refuses bad ones', () => {
    expect(parseOptions(['--org', ORG, 'data/Calls 2025.csv'])).toMatchObject({ format: 'csv', source: 'Calls 2025', batch: 1000, tz: null, dryRun: false });
    expect(parseOptions(['--org', ORG, '--dry-run', '--batch', '10', 'x.geojson'])).toMatchObject({ format: 'geojson', batch: 10, dryRun: true });
    expect(() => parseOptions(['x.csv'])).toThrow(/--org/);
    expect(() => parseOptions(['--org', ORG, 'x.txt'])).toThrow(/--format/);
    expect(() => parseOptions(['--org', ORG, '--batch', '5000', 'x.csv'])).toThrow(/--batch/);
    expect(() => parseOptions(['--org', ORG, '--bogus', 'x.csv'])).toThrow();
    const key = `hwfk_0123456789ab_${'A'.repeat(43)}`;
    expect(parseOptions(['--org', ORG, '--key', key, 'x.csv'])).toMatchObject({ feedKey: key });
    expect(parseOptions(['--org', ORG, 'x.csv'])).toMatchObject({ feedKey: null });
    expect(() => parseOptions(['--org', ORG, '--key', 'eyJhbGciOi.service.key', 'x.csv'])).toThrow(/--key must be a feed key/);
  });
  it('progress says rows/s and ETA; the summary line is the issue\'s', () => {
    const counts = { imported: 5, duplicate: 1, rejected: 2, outside: 0 };
    expect(progressText({ rows: 500, bytes: 25, totalBytes: 100, elapsedMs: 10_000, counts }, 4)).toBe(
      '[#---] 25.0% 500 rows, 50 rows/s, ETA 00:30 — imported 5, duplicate 1, rejected 2, outside area 0');
    expect(summaryLine(8, counts)).toBe('imported 5, duplicate 1, rejected 2, outside area 0 (8 rows)');
  });
});
