/**
 * Events as `COPY … FROM STDIN` text format (pure). In that format a field's backslash,
 * newline, carriage return and tab carry meaning, so they are escaped; `\N` (null) never
 * occurs because every column has a value. Only the free-text fields (source,
 * external_id, the attributes' JSON) can hold those bytes: category and h3_cell are
 * validated patterns, occurred_at an ISO timestamp, the rest numbers and booleans.
 */
import type { EventColumns } from '../rules/batch.ts';

/** The COPY statement's column list; copyRows writes the fields in this order. */
export const EVENT_COPY_COLUMNS = 'org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell, attributes, outside_area';

const SPECIAL = /[\\\n\r\t]/g;
const ESCAPE: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One text field, escaped for COPY's text format. */
export function copyField(value: string): string {
  return value.replace(SPECIAL, (c) => ESCAPE[c]!);
}

/** The rows `keep` accepts, one line each (with its newline); how many. */
export function copyRows(orgId: string, c: EventColumns, keep: (i: number) => boolean): { text: string; rows: number } {
  let text = '';
  let rows = 0;
  for (let i = 0; i < c.source.length; i++) {
    if (!keep(i)) continue;
    text += `${orgId}\t${copyField(c.source[i]!)}\t${copyField(c.external_id[i]!)}\t${c.category[i]}\t${c.occurred_at[i]}\t`
      + `${c.lat[i]}\t${c.lng[i]}\t${c.weight[i]}\t${c.h3_cell[i]}\t${copyField(c.attributes[i]!)}\t${c.outside_area[i] ? 't' : 'f'}\n`;
    rows++;
  }
  return { text, rows };
}
