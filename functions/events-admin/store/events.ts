/**
 * The events-admin function's SQL: find the org's events a request names, and erase
 * them through public.erase_events (migrations/20261206174512_retention_and_erasure.sql),
 * the one path besides retention that may delete events; its statement trigger corrects
 * the count cube in the same transaction.
 */
import type { TransactionSql } from 'postgres';
import type { BoundingBox, PlacedEvent } from '../rules/area.ts';

/** The org's events of `source` with these external ids: [id, external_id]. */
export async function findByExternalIds(tx: TransactionSql, orgId: string, source: string, externalIds: string[]): Promise<Array<{ id: string; external_id: string }>> {
  return await tx<Array<{ id: string; external_id: string }>>`
    select id, external_id from public.events
     where org_id = ${orgId} and source = ${source} and external_id = any(${externalIds}::text[])`;
}

interface Period {
  from: Date;
  to: Date;
  category: string | null;
}

/** The period's events inside the bounding box (at most `limit`), with their points. */
export async function findInBox(tx: TransactionSql, orgId: string, p: Period, box: BoundingBox, limit: number): Promise<PlacedEvent[]> {
  return await tx<PlacedEvent[]>`
    select id, lat, lng from public.events
     where org_id = ${orgId} and occurred_at >= ${p.from} and occurred_at < ${p.to}
       and (${p.category}::text is null or category = ${p.category})
       and lat between ${box.south} and ${box.north} and lng between ${box.west} and ${box.east}
     limit ${limit}`;
}

/**
 * The period's events in any of the H3 cells (resolution ≤ 9: an event is in a cell when its
 * res-9 cell descends from it), at most `limit`. One parent per event and distinct resolution,
 * looked up in the wanted set (a hashed semi-join), so 10,000 cells cost no more than one.
 */
export async function findInCells(tx: TransactionSql, orgId: string, p: Period, cells: string[], limit: number): Promise<string[]> {
  const rows = await tx<Array<{ id: string }>>`
    with wanted as (select distinct c from unnest(${cells}::text[]) c),
         res as (select distinct public.h3_cell_resolution(c) as r from wanted)
    select distinct e.id from public.events e cross join res
     where e.org_id = ${orgId} and e.occurred_at >= ${p.from} and e.occurred_at < ${p.to}
       and (${p.category}::text is null or e.category = ${p.category})
       and public.h3_cell_to_parent(e.h3_cell, res.r) in (select c from wanted)
     limit ${limit}`;
  return rows.map((r) => r.id);
}

/** Delete the org's events with these ids and correct the cube; the number deleted. */
export async function eraseEvents(tx: TransactionSql, orgId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await tx<Array<{ n: string }>>`select public.erase_events(${orgId}, ${ids}::bigint[]) as n`;
  return Number(row!.n);
}
