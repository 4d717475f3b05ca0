import { gucHeadersError, gucStatusError, type Json } from '../errors.ts';

/** The main query's result row. */
export interface ResultRow {
  total_result_set: string | null;
  page_total: string;
  body: string | null;
  response_headers: string | null;
  response_status: string | null;
  response_inserted?: string | null;
  header?: string | null;
}

/** response.headers / response.status GUCs override PostgREST's status and same-named headers. */
export function applyGucs(row: ResultRow, status: number, headers: Array<[string, string]>): { status: number; headers: Array<[string, string]> } {
  let out = headers;
  if (row.response_headers !== null && row.response_headers !== undefined) {
    let parsed: Json;
    try { parsed = JSON.parse(row.response_headers) as Json; } catch { throw gucHeadersError(); }
    if (!Array.isArray(parsed)) throw gucHeadersError();
    const extra: Array<[string, string]> = [];
    for (const h of parsed) {
      if (typeof h !== 'object' || h === null || Array.isArray(h)) throw gucHeadersError();
      const entries = Object.entries(h);
      const first = entries[0];
      if (entries.length !== 1 || !first || typeof first[1] !== 'string') throw gucHeadersError();
      extra.push([first[0], first[1]]);
    }
    const names = new Set(extra.map(([k]) => k.toLowerCase()));
    out = [...headers.filter(([k]) => !names.has(k.toLowerCase())), ...extra];
  }
  let st = status;
  if (row.response_status !== null && row.response_status !== undefined) {
    const n = /^\d+/.exec(row.response_status.trim());
    if (!n) throw gucStatusError();
    st = Number(n[0]);
    if (st < 100 || st > 599) throw gucStatusError();
  }
  return { status: st, headers: out };
}
