/** One batch of events validated item by item and laid out as insert columns (pure). */
import { cellToParent, latLngToCell } from 'h3-js';
import type { FieldError } from '../../_shared/contract.ts';
import { fieldErrors } from '../../_shared/validation.ts';
import { eventSchema, serializeAttributes, type IngestLimits } from '../schema.ts';

/** Column-wise rows (all arrays the same length). */
export interface EventColumns {
  source: string[];
  external_id: string[];
  category: string[];
  occurred_at: string[];
  lat: number[];
  lng: number[];
  weight: number[];
  h3_cell: string[];
  /** JSON text per row. */
  attributes: string[];
  /** The row's res-8 cell is outside the org's area (flagOutsideArea). */
  outside_area: boolean[];
}

export function emptyColumns(): EventColumns {
  return { source: [], external_id: [], category: [], occurred_at: [], lat: [], lng: [], weight: [], h3_cell: [], attributes: [], outside_area: [] };
}

/** Resolution of `events.h3_cell` (the cube rolls it up to 8). */
export const EVENT_H3_RESOLUTION = 9;

export interface PreparedBatch {
  columns: EventColumns;
  rejected: number;
  errors: Array<FieldError & { index: number }>;
  errorsTruncated: boolean;
}

/** The per-item verdicts of a batch validated so far. */
export type BatchReport = Omit<PreparedBatch, 'columns'>;

/**
 * Validates a batch slice by slice, so the caller can hand each slice's rows on (to a
 * COPY stream) while the next is checked; errors carry the event's index in the whole
 * batch and the report covers every slice seen.
 */
export interface BatchValidator {
  /** Validate `events[from, to)`; the valid ones as insert columns. */
  slice(events: ReadonlyArray<unknown>, from: number, to: number): EventColumns;
  report(): BatchReport;
}

export function batchValidator(nowMs: number, limits: IngestLimits): BatchValidator {
  const schema = eventSchema(nowMs, limits);
  const errors: BatchReport['errors'] = [];
  let rejected = 0;
  let truncated = false;
  const refuse = (items: ReadonlyArray<FieldError & { index: number }>): void => {
    rejected++;
    for (const e of items) {
      if (errors.length < limits.maxReportedErrors) errors.push(e);
      else truncated = true;
    }
  };
  return {
    slice(events, from, to) {
      const columns = emptyColumns();
      for (let i = from; i < to; i++) {
        const parsed = schema.safeParse(events[i]);
        if (!parsed.success) {
          refuse(fieldErrors(parsed.error, `events[${i}]`).map((e) => ({ index: i, ...e })));
          continue;
        }
        const ev = parsed.data;
        const attrs = serializeAttributes(ev.attributes, limits);
        if ('error' in attrs) {
          refuse([{ index: i, path: `events[${i}].attributes`, code: 'custom', message: attrs.error }]);
          continue;
        }
        columns.source.push(ev.source);
        columns.external_id.push(ev.external_id);
        columns.category.push(ev.category);
        columns.occurred_at.push(ev.occurred_at);
        columns.lat.push(ev.lat);
        columns.lng.push(ev.lng);
        columns.weight.push(ev.weight ?? 1);
        columns.h3_cell.push(latLngToCell(ev.lat, ev.lng, EVENT_H3_RESOLUTION));
        columns.attributes.push(attrs.json);
        columns.outside_area.push(false);
      }
      return columns;
    },
    report: () => ({ rejected, errors, errorsTruncated: truncated }),
  };
}

/** Validate every event and build the insert columns (pure; exported for tests and the bench). */
export function prepareBatch(events: ReadonlyArray<unknown>, nowMs: number, limits: IngestLimits): PreparedBatch {
  const validator = batchValidator(nowMs, limits);
  const columns = validator.slice(events, 0, events.length);
  return { columns, ...validator.report() };
}

/** Append `from`'s rows to `into` (column by column). */
export function appendColumns(into: EventColumns, from: EventColumns): void {
  for (const key of Object.keys(into) as Array<keyof EventColumns>) {
    const target = into[key] as unknown[];
    for (const v of from[key]) target.push(v);
  }
}

/** Resolution of the org's area cells (org_settings.area_cells). */
export const AREA_H3_RESOLUTION = 8;

/** Flag the rows whose res-8 cell is not in the area (none without an area); how many. */
export function flagOutsideArea(columns: EventColumns, area: ReadonlySet<string> | null): number {
  if (!area) return 0;
  let outside = 0;
  for (let i = 0; i < columns.h3_cell.length; i++) {
    const out = !area.has(cellToParent(columns.h3_cell[i]!, AREA_H3_RESOLUTION));
    columns.outside_area[i] = out;
    if (out) outside++;
  }
  return outside;
}
