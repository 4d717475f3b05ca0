/** Synthetic events for scan tests: a steady background plus a burst, inserted in batches. */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { emptyColumns } from '../../../functions/ingest-events/rules/batch.ts';
import { insertEvents } from '../../../functions/ingest-events/store/events.ts';

export const HOUR = 3_600_000;

export interface SeedOptions {
  category?: string;
  /** Centre of the synthetic area. */
  lat?: number;
  lng?: number;
  /** Ring radius of the background area (res-8 cells). */
  areaK?: number;
  /** Background events per cell per hour (deterministic, spread evenly). */
  ratePerCellHour?: number;
  historyHours?: number;
  now: number;
  source?: string;
}

/** Res-8 cells of the synthetic area, centre first. */
export function areaCells(lat = 40.75, lng = -73.99, k = 4): string[] {
  return gridDisk(latLngToCell(lat, lng, 8), k);
}

function push(cols: ReturnType<typeof emptyColumns>, source: string, id: string, category: string, t: number, cell8: string): void {
  const [la, ln] = cellToLatLng(cell8);
  cols.source.push(source);
  cols.external_id.push(id);
  cols.category.push(category);
  cols.occurred_at.push(new Date(t).toISOString());
  cols.lat.push(la);
  cols.lng.push(ln);
  cols.weight.push(1);
  cols.h3_cell.push(latLngToCell(la, ln, 9));
  cols.attributes.push('{}');
}

async function flush(sql: Sql, orgId: string, cols: ReturnType<typeof emptyColumns>): Promise<number> {
  let n = 0;
  for (let i = 0; i < cols.source.length; i += 10_000) {
    const part = emptyColumns();
    for (const k of Object.keys(part) as Array<keyof typeof part>) (part[k] as unknown[]) = cols[k].slice(i, i + 10_000);
    n += await insertEvents(sql, orgId, part);
  }
  return n;
}

/** A deterministic background: every cell gets events at a fixed rate over the history. */
export async function seedBackground(sql: Sql, orgId: string, o: SeedOptions): Promise<number> {
  const category = o.category ?? 'fire';
  const cells = areaCells(o.lat, o.lng, o.areaK ?? 4);
  const rate = o.ratePerCellHour ?? 0.05;
  const hours = o.historyHours ?? 24 * 10;
  const every = Math.max(1, Math.round(1 / rate));
  const cols = emptyColumns();
  const start = Math.floor(o.now / HOUR) * HOUR - hours * HOUR;
  for (let h = 0; h < hours; h++) {
    for (let c = 0; c < cells.length; c++) {
      if ((h + c * 7) % every !== 0) continue;
      push(cols, o.source ?? 'bg', `bg-${category}-${h}-${c}`, category, start + h * HOUR + ((c * 997) % 3_000_000), cells[c]!);
    }
  }
  return flush(sql, orgId, cols);
}

/** `n` events in the given cells within the last `withinMs` before `now`. */
export async function seedBurst(sql: Sql, orgId: string, cells: string[], n: number, now: number, opts: { category?: string; withinMs?: number; tag?: string } = {}): Promise<number> {
  const cols = emptyColumns();
  const within = opts.withinMs ?? 50 * 60_000;
  for (let i = 0; i < n; i++) {
    push(cols, 'burst', `${opts.tag ?? 'b'}-${i}`, opts.category ?? 'fire', now - 1000 - Math.floor((i * within) / Math.max(1, n)), cells[i % cells.length]!);
  }
  return flush(sql, orgId, cols);
}
