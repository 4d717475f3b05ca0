/**
 * hotspot-series' reads, all as the caller: a user's statements run with role
 * `authenticated` and their JWT claims (as PostgREST would run them), so RLS decides
 * what they see — the hotspot, the org's settings and creation time, and the count cube
 * through `public.hotspot_cube` (security invoker). A hotspot of another org is simply
 * not there. Never raw events: the cube's counts per (res-8 cell, hour).
 */
import type { Sql, TransactionSql } from 'postgres';
import { claimsJson, type Caller } from '../../_shared/auth-claims.ts';
import type { CubeRow } from '../../_shared/detection/types.ts';
import type { OrgScanSettings } from '../../_shared/org-settings.ts';
import type { DbRow } from '../../_shared/rows.ts';
import { orgCreatedAt, readOrgSettings } from '../../hotspot-scan/store/read.ts';

export interface SeriesHotspot {
  id: string;
  orgId: string;
  category: string;
  cells: string[];
  windowStart: number;
  windowEnd: number;
}

export interface SeriesContext {
  hotspot: SeriesHotspot;
  settings: OrgScanSettings;
  orgCreatedMs: number | null;
}

/** One read-only transaction as the caller (a service-role caller reads as itself). */
export function asCaller<T>(sql: Sql, caller: Caller, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin('read only', async (tx) => {
    if (caller.kind === 'user') {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claimsJson(caller)}, true)`;
    }
    return fn(tx);
  }) as Promise<T>;
}

/** The hotspot and what the scan reads beside the cube; null when the caller cannot see it. */
export async function readContext(tx: TransactionSql, hotspotId: string): Promise<SeriesContext | null> {
  type Row = DbRow<'hotspots', 'id' | 'org_id' | 'category' | 'cells' | 'window_start' | 'window_end', 'window_start' | 'window_end', 'id'>;
  const [h] = await tx<Row[]>`
    select id, org_id, category, cells, window_start, window_end from public.hotspots where id = ${hotspotId}`;
  if (!h) return null;
  return {
    hotspot: {
      id: String(h.id), orgId: h.org_id, category: h.category, cells: h.cells,
      windowStart: h.window_start.getTime(), windowEnd: h.window_end.getTime(),
    },
    settings: await readOrgSettings(tx, h.org_id),
    orgCreatedMs: await orgCreatedAt(tx, h.org_id),
  };
}

/** The hotspot's org × category cube over [fromMs, toMs), through the RPC. */
export async function readCubeRows(tx: TransactionSql, hotspotId: string, fromMs: number, toMs: number): Promise<CubeRow[]> {
  const rows = await tx`
    select cell, (extract(epoch from bucket) * 1000)::float8 as t, n
      from public.hotspot_cube(${hotspotId}::bigint, ${new Date(fromMs)}, ${new Date(toMs)})`.values();
  return rows.map((r) => ({ cell: r[0] as string, bucketStart: r[1] as number, n: r[2] as number }));
}
