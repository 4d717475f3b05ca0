/**
 * The org's monitored area as a set of res-8 cells (public.org_area_cells), for flagging events outside it.
 * The ingest hot path pays one small query per batch (the settings row's updated_at);
 * the cell list (up to 50,000) is read again only when the settings changed.
 */
import type { Sql } from 'postgres';

export type AreaReader = (orgId: string) => Promise<ReadonlySet<string> | null>;

export function areaReader(sql: Sql): AreaReader {
  const cache = new Map<string, { version: string; cells: ReadonlySet<string> | null }>();
  return async (orgId) => {
    const [v] = await sql<{ version: string; has_area: boolean }[]>`
      select s.updated_at::text as version, c.org_id is not null as has_area
        from public.org_settings s left join public.org_area_cells c using (org_id) where s.org_id = ${orgId}`;
    if (!v || !v.has_area) return null;
    const hit = cache.get(orgId);
    if (hit && hit.version === v.version) return hit.cells;
    const [row] = await sql<{ version: string; area_cells: string[] }[]>`
      select s.updated_at::text as version, c.cells as area_cells
        from public.org_settings s join public.org_area_cells c using (org_id) where s.org_id = ${orgId}`;
    const cells = row && row.area_cells.length > 0 ? new Set(row.area_cells) : null;
    if (row) cache.set(orgId, { version: row.version, cells });
    return cells;
  };
}
