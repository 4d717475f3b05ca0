-- The area's res-8 cells leave org_settings for a table of their own that is not in the
-- Realtime publication (issue 21, settings page).
--
-- Why: org_settings is published so open dashboards follow settings changes, and the
-- cell list is up to 50,000 H3 indexes (~900 kB as text). In the publication it rides
-- along every change that writes it, to every subscribed member. Supabase's Postgres
-- Changes decode the WAL with wal2json (realtime.list_changes → apply_rls), which does
-- not honour a publication column list, so `alter publication … add table
-- org_settings (cols…)` would trim the payload only on a pgoutput server; the size
-- check (apply_rls's max_record_bytes, 1 MB by default) also measures the whole WAL
-- record, so even a column the role may not select counts. A separate, unpublished
-- table keeps the cells out of the stream on every Realtime implementation.
--
-- The cells are written only by the org-settings function (with the area, in one
-- transaction) and read by the scan and ingest as the database owner; members may read
-- their org's cells over REST (the map may draw them), nobody writes over REST.

create table public.org_area_cells (
  org_id uuid primary key references public.org_settings (org_id) on delete cascade,
  cells text[] not null default '{}' check (cardinality(cells) <= 50000)
);
comment on table public.org_area_cells is 'The res-8 H3 cells of org_settings.area (none: no area); kept out of the Realtime publication because of its size.';

alter table public.org_area_cells enable row level security;
create policy "members read their org's area cells" on public.org_area_cells
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
revoke insert, update, delete, truncate on public.org_area_cells from anon, authenticated;

insert into public.org_area_cells (org_id, cells)
  select org_id, area_cells from public.org_settings where cardinality(area_cells) > 0;
alter table public.org_settings drop column area_cells;
