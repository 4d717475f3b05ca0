import { invalidRange } from './errors.ts';

/**
 * limit/offset and the `Range` request header, and the `Content-Range` / status
 * computation of PostgREST's RangeQuery.hs.
 */

export interface RowRange {
  offset: number;
  /** null: unbounded. 0 is the special limit=0 range. */
  limit: number | null;
}

export function readInteger(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The requested top-level range. `rangeHeader` only counts for GET (as in PostgREST,
 * per RFC 9110); a negative limit or an inverted/disjoint range answers 416 PGRST103.
 */
export function requestedRange(limit: string | undefined, offset: string | undefined, rangeHeader: string | undefined): RowRange {
  const lim = readInteger(limit);
  const off = readInteger(offset) ?? 0;
  if (lim !== undefined && lim < 0) throw invalidRange({ kind: 'negative-limit' });
  let lower = off;
  let upper = lim === undefined ? Infinity : off + lim - 1;
  if (rangeHeader !== undefined) {
    const m = /^(\d+)-(\d*)$/.exec(rangeHeader.trim());
    if (m) {
      const hl = Number(m[1]);
      const hu = m[2] === '' ? Infinity : Number(m[2]);
      if (hl > hu) throw invalidRange({ kind: 'lower-gt-upper' });
      if (lim === 0) return { offset: lower, limit: 0 };
      lower = Math.max(lower, hl);
      upper = Math.min(upper, hu);
      // PostgREST reports an empty intersection of limit/offset and Range as a negative limit.
      if (upper < lower) throw invalidRange({ kind: 'negative-limit' });
    }
  }
  if (lim === 0) return { offset: lower, limit: 0 };
  return { offset: lower, limit: upper === Infinity ? null : upper - lower + 1 };
}

/** db-max-rows: reads never return more than `maxRows` rows (silently). */
export function restrictRange(r: RowRange, maxRows: number | null): RowRange {
  if (maxRows === null || r.limit === 0) return r;
  return { offset: r.offset, limit: r.limit === null ? maxRows : Math.min(r.limit, maxRows) };
}

/** Content-Range value for `lower`..`upper` of `total` (null: uncounted). */
export function contentRange(lower: number, upper: number, total: number | null): string {
  const totalNotZero = total !== 0;
  const range = totalNotZero && lower <= upper ? `${lower}-${upper}` : '*';
  return `${range}/${total === null ? '*' : total}`;
}

/** Status and Content-Range for a read of `pageTotal` rows at `offset`, with an optional total. */
export function rangeStatus(offset: number, pageTotal: number, total: number | null): { status: number; contentRange: string } {
  const lower = offset;
  const upper = lower + pageTotal - 1;
  const cr = contentRange(lower, upper, total);
  if (total === null) return { status: 200, contentRange: cr };
  if (lower > total) return { status: 416, contentRange: cr };
  if (1 + upper - lower < total) return { status: 206, contentRange: cr };
  return { status: 200, contentRange: cr };
}
