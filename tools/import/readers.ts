/**
 * Streaming readers: each yields one row at a time from the file, never holding it
 * whole, so memory stays flat on any size (the consumer's `for await` is the
 * backpressure). Row numbers: CSV and NDJSON the line in the file (CSV's header is
 * line 1), GeoJSON the feature's position (1 = the first feature).
 *
 *  - CSV: csv-parse's stream API, a header row naming the columns; a malformed record
 *    (an unclosed quote, a wrong column count) is a rejected row, not a stopped import.
 *  - NDJSON: one JSON object per line (a GeoJSON Feature per line works too).
 *  - GeoJSON: a FeatureCollection, streamed with stream-json (its `features` array
 *    one element at a time); each feature's properties are its columns, a Point its
 *    coordinates, and a feature `id` is the column `id` unless a property has that name.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import chain from 'stream-chain';
import { parser as jsonParser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import type { RawRow } from './mapping.ts';

export type Format = 'csv' | 'ndjson' | 'geojson';

export type SourceRow = { row: number; original: string } & ({ raw: RawRow } | { reason: string });

export function formatOf(file: string): Format | null {
  const ext = file.toLowerCase().split('.').pop() ?? '';
  if (ext === 'csv') return 'csv';
  if (ext === 'ndjson' || ext === 'jsonl' || ext === 'geojsonl') return 'ndjson';
  if (ext === 'geojson' || ext === 'json') return 'geojson';
  return null;
}

/** The file's byte stream, whose `bytesRead` the progress reads. */
export function openFile(file: string): fs.ReadStream {
  return fs.createReadStream(file, { highWaterMark: 256 * 1024 });
}

export function readRows(format: Format, input: fs.ReadStream): AsyncGenerator<SourceRow> {
  return format === 'csv' ? readCsv(input) : format === 'ndjson' ? readNdjson(input) : readGeoJson(input);
}

async function* readCsv(input: fs.ReadStream): AsyncGenerator<SourceRow> {
  const skipped: SourceRow[] = [];
  const csv = input.pipe(parseCsv({
    columns: true, bom: true, raw: true, info: true, trim: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      skipped.push({ row: Number((err as { lines?: number } | undefined)?.lines ?? 0), original: (raw ?? '').replace(/\r?\n$/, ''), reason: `malformed CSV: ${err?.message ?? 'unreadable record'}` });
      return undefined;
    },
  }));
  for await (const rec of csv as AsyncIterable<{ record: Record<string, string>; raw: string; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    yield { row: rec.info.lines, original: rec.raw.replace(/\r?\n$/, ''), raw: { fields: rec.record } };
  }
  while (skipped.length) yield skipped.shift()!;
}

async function* readNdjson(input: fs.ReadStream): AsyncGenerator<SourceRow> {
  let line = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { row: line, original: text, reason: 'not valid JSON' };
      continue;
    }
    yield { row: line, original: text, ...fromObject(value) };
  }
}

async function* readGeoJson(input: fs.ReadStream): AsyncGenerator<SourceRow> {
  const features = chain([input, jsonParser(), pick({ filter: 'features' }), streamArray()]);
  for await (const item of features as AsyncIterable<{ key: number; value: unknown }>) {
    yield { row: item.key + 1, original: JSON.stringify(item.value), ...fromObject(item.value) };
  }
}

/** A JSON object (flat columns) or a GeoJSON Feature → a raw row. */
function fromObject(value: unknown): { raw: RawRow } | { reason: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { reason: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  if (o['type'] !== 'Feature') return { raw: { fields: o } };
  const props = o['properties'] && typeof o['properties'] === 'object' ? { ...(o['properties'] as Record<string, unknown>) } : {};
  if (o['id'] !== undefined && !('id' in props)) props['id'] = o['id'];
  const g = o['geometry'] as { type?: unknown; coordinates?: unknown } | null | undefined;
  if (!g) return { raw: { fields: props } };
  if (g.type !== 'Point' || !Array.isArray(g.coordinates)) return { reason: `geometry is a ${String(g.type)}, not a Point` };
  return { raw: { fields: props, point: [g.coordinates[0], g.coordinates[1]] } };
}
