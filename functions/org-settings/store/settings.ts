/**
 * The org-settings function's SQL: lock the org's settings row, read the fields a
 * change touches (for the audit row's `before`), write the new values. The area's
 * cells live in public.org_area_cells (kept out of the Realtime publication for their
 * size, migrations/20261206174213_org_area_cells.sql) and are written with the area.
 */
import type { TransactionSql } from 'postgres';
import type { OrgSettingsResult } from '../../_shared/contract.ts';
import type { Json } from '../../_shared/database.types.ts';

export type SettingsColumn = 'area' | 'area_cells' | 'districts' | 'time_zone' | 'categories' | 'scan' | 'map' | 'retention_days';
export type SettingsValues = Partial<Record<SettingsColumn, Json | string[]>>;

export type CurrentSettings = Record<Exclude<SettingsColumn, 'area_cells'>, Json> & { area_cell_count: number };

/** The current row (the cell list as its size), locked for the transaction; null when there is no such org. */
export async function lockSettings(tx: TransactionSql, orgId: string): Promise<CurrentSettings | null> {
  const [row] = await tx<CurrentSettings[]>`
    select s.area, coalesce(cardinality(c.cells), 0) as area_cell_count, s.districts, s.time_zone, s.categories, s.scan, s.map, s.retention_days
      from public.org_settings s left join public.org_area_cells c using (org_id)
     where s.org_id = ${orgId} for update of s`;
  return row ?? null;
}

/**
 * Write the given columns; the others keep their values. JSON travels as text cast in
 * SQL (as _shared/audit.ts does) so postgres.js does not encode it a second time.
 */
export async function writeSettings(tx: TransactionSql, orgId: string, values: SettingsValues, actor: string | null): Promise<Omit<OrgSettingsResult, 'changed'>> {
  const has = (c: SettingsColumn): boolean => values[c] !== undefined;
  const json = (c: SettingsColumn): string | null => (values[c] === undefined || values[c] === null ? null : JSON.stringify(values[c]));
  if (has('area_cells')) {
    const cells = (values.area_cells ?? []) as string[];
    if (cells.length === 0) await tx`delete from public.org_area_cells where org_id = ${orgId}`;
    else {
      await tx`
        insert into public.org_area_cells (org_id, cells) values (${orgId}, ${cells}::text[])
        on conflict (org_id) do update set cells = excluded.cells`;
    }
  }
  const [out] = await tx<Array<Omit<OrgSettingsResult, 'changed'>>>`
    update public.org_settings set
      area = case when ${has('area')} then ${json('area')}::text::jsonb else area end,
      districts = case when ${has('districts')} then ${json('districts')}::text::jsonb else districts end,
      time_zone = case when ${has('time_zone')} then ${(values.time_zone ?? null) as string | null}::text else time_zone end,
      categories = case when ${has('categories')} then ${json('categories')}::text::jsonb else categories end,
      scan = case when ${has('scan')} then ${json('scan')}::text::jsonb else scan end,
      map = case when ${has('map')} then ${json('map')}::text::jsonb else map end,
      retention_days = case when ${has('retention_days')} then ${(values.retention_days ?? null) as number | null}::integer else retention_days end,
      updated_at = now(), updated_by = ${actor}
    where org_id = ${orgId}
    returning org_id, area, coalesce((select cardinality(c.cells) from public.org_area_cells c where c.org_id = ${orgId}), 0) as area_cell_count,
              districts, time_zone, categories, scan, map, retention_days, updated_at, updated_by`;
  return out!;
}
