/**
 * One statement per batch: `insert … select from unnest(…) on conflict do nothing` — a
 * user's ingest (under RLS), and the service role's when COPY cannot take the batch
 * (./copy-events.ts).
 * Column arrays travel as ten array parameters (no per-row placeholders, no parse
 * limit on rows), duplicates by (org, source, external_id) are skipped by the unique
 * constraint, and the count cube is updated by the statement-level trigger inside the
 * same statement — so the batch and its cube rows commit or fail together.
 *
 * Text arrays are cast in SQL (`::text[]::jsonb[]`): postgres.js serializes a
 * parameter by its described type, so a direct `::jsonb[]` would JSON-encode each
 * string a second time. An `outside_area` array shorter than the others (callers that
 * never flag, e.g. the seeding helpers) pads with null, stored as false; it travels as
 * text because postgres.js sends a JS boolean array as one boolean.
 */
import type { ISql, Sql } from 'postgres';
import { claimsJson, type Caller } from '../../_shared/auth-claims.ts';
import { HttpError } from '../../_shared/http.ts';
import { appendColumns, emptyColumns, type EventColumns } from '../rules/batch.ts';

/** Insert the rows for one org; answers how many were new (the rest were duplicates). */
export async function insertEvents(sql: ISql, orgId: string, c: EventColumns): Promise<number> {
  if (c.source.length === 0) return 0;
  const [row] = await sql<{ accepted: number }[]>`
    with ins as (
      insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell, attributes, outside_area)
      select ${orgId}::uuid, t.source, t.external_id, t.category, t.occurred_at, t.lat, t.lng, t.weight, t.h3_cell, t.attributes, coalesce(t.outside_area, false)
        from unnest(${c.source}::text[], ${c.external_id}::text[], ${c.category}::text[], ${c.occurred_at}::text[]::timestamptz[],
                    ${c.lat}::float8[], ${c.lng}::float8[], ${c.weight}::real[], ${c.h3_cell}::text[], ${c.attributes}::text[]::jsonb[],
                    ${c.outside_area.map((o) => (o ? 't' : 'f'))}::text[]::boolean[])
             as t(source, external_id, category, occurred_at, lat, lng, weight, h3_cell, attributes, outside_area)
      on conflict (org_id, source, external_id) do nothing
      returning 1
    )
    select count(*)::int as accepted from ins`;
  return row?.accepted ?? 0;
}

/** 404 org_not_found unless the org exists. */
export async function requireOrg(sql: ISql, orgId: string): Promise<void> {
  const [org] = await sql`select 1 from public.orgs where id = ${orgId}`;
  if (!org) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
}

/** Every slice's rows as one set of columns. */
async function collectSlices(slices: AsyncIterable<EventColumns>): Promise<EventColumns> {
  const all = emptyColumns();
  for await (const c of slices) appendColumns(all, c);
  return all;
}

/**
 * As the user, under RLS, in one statement (COPY FROM is refused on a table with RLS for
 * a role subject to it): the code above already checked the role, and the "operators
 * insert their orgs' events" policy checks it again in the database.
 */
export async function insertAsUser(sql: Sql, caller: Caller, orgId: string, slices: AsyncIterable<EventColumns>): Promise<number> {
  const columns = await collectSlices(slices);
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claimsJson(caller)}, true)`;
    await requireOrg(tx, orgId);
    return insertEvents(tx, orgId, columns);
  });
}

/** Whether the org is a demo org (orgs.is_demo); null when there is no such org. */
export async function orgIsDemo(sql: Sql, orgId: string): Promise<boolean | null> {
  const [org] = await sql<{ is_demo: boolean }[]>`select is_demo from public.orgs where id = ${orgId}`;
  return org ? org.is_demo : null;
}
