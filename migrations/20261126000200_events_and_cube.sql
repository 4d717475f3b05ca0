-- Events and the pre-aggregated count cube the hotspot scan reads.
-- Events carry their H3 cell at resolution 9 (~0.1 km²); the cube aggregates at
-- resolution 8 (~0.74 km², the scan's cell) per hour, so a scan never reads raw events.

-- H3 helpers in plain SQL (no h3-pg on the platform): an H3 index is 64 bits with
-- the resolution in bits 52–55 and one 3-bit digit per finer resolution, unused digits = 7.
create or replace function public.h3_cell_resolution(cell text)
returns integer
language sql
immutable strict parallel safe
set search_path = ''
as $$
  select ((('x' || lpad(cell, 16, '0'))::bit(64)::bigint >> 52) & 15)::integer
$$;

create or replace function public.h3_cell_to_parent(cell text, parent_res integer)
returns text
language sql
immutable strict parallel safe
set search_path = ''
as $$
  select lpad(to_hex(
           ((('x' || lpad(cell, 16, '0'))::bit(64)::bigint & ~(15::bigint << 52)) | (parent_res::bigint << 52))
           | ((1::bigint << ((15 - parent_res) * 3)) - 1)
         ), 15, '0')
$$;

create table public.events (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  source text not null check (length(source) between 1 and 100),
  external_id text not null check (length(external_id) between 1 and 200),
  category text not null check (category ~ '^[a-z][a-z0-9_]{0,62}$'),
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  lat double precision not null check (lat between -90 and 90),
  lng double precision not null check (lng between -180 and 180),
  weight real not null default 1 check (weight >= 0 and weight <= 1000000),
  h3_cell text not null check (h3_cell ~ '^8[0-9a-f]{14}$' and public.h3_cell_resolution(h3_cell) = 9),
  attributes jsonb not null default '{}'::jsonb check (jsonb_typeof(attributes) = 'object'),
  constraint events_org_source_external_id_key unique (org_id, source, external_id)
);
comment on table public.events is 'Geo-tagged, timestamped events. Idempotent by (org, source, external_id); immutable once accepted.';
create index events_org_occurred_idx on public.events (org_id, occurred_at);

create table public.count_cube (
  org_id uuid not null references public.orgs (id),
  category text not null,
  cell text not null,
  bucket timestamptz not null,
  n integer not null check (n >= 0),
  weight_sum double precision not null,
  primary key (org_id, category, bucket, cell)
);
comment on table public.count_cube is 'Events per (org, category, H3 res-8 cell, hour); maintained in the inserting transaction.';

-- Statement-level: one upsert per batch, keys sorted so concurrent overlapping
-- batches take row locks in the same order and cannot deadlock.
create or replace function public.count_cube_add()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.count_cube as c (org_id, category, cell, bucket, n, weight_sum)
  select r.org_id, r.category, public.h3_cell_to_parent(r.h3_cell, 8),
         date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00:00+00'),
         count(*), sum(r.weight)
    from new_rows r
   group by 1, 2, 3, 4
   order by 1, 2, 4, 3
  on conflict (org_id, category, bucket, cell)
  do update set n = c.n + excluded.n, weight_sum = c.weight_sum + excluded.weight_sum;
  return null;
end;
$$;

create or replace function public.count_cube_remove()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.count_cube c
     set n = c.n - d.n, weight_sum = c.weight_sum - d.w
    from (select r.org_id, r.category, public.h3_cell_to_parent(r.h3_cell, 8) as cell,
                 date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
                 count(*) as n, sum(r.weight) as w
            from old_rows r group by 1, 2, 3, 4 order by 1, 2, 4, 3) d
   where c.org_id = d.org_id and c.category = d.category and c.cell = d.cell and c.bucket = d.bucket;
  return null;
end;
$$;

-- Accepted events are immutable: the cube would silently drift otherwise.
create or replace function public.events_immutable()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'events are immutable once accepted (id %)', old.id
    using errcode = '55000', hint = 'Ingest a new event with a new external_id instead.';
end;
$$;

create trigger events_cube_add after insert on public.events
  referencing new table as new_rows for each statement execute function public.count_cube_add();
create trigger events_cube_remove after delete on public.events
  referencing old table as old_rows for each statement execute function public.count_cube_remove();
create trigger events_immutable before update on public.events
  for each row execute function public.events_immutable();

revoke execute on function public.count_cube_add() from public, anon, authenticated;
revoke execute on function public.count_cube_remove() from public, anon, authenticated;

alter table public.events enable row level security;
alter table public.count_cube enable row level security;

create policy "members read their orgs' events" on public.events
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);

create policy "operators insert their orgs' events" on public.events
  for insert to authenticated
  with check (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) in ('operator', 'admin'));

create policy "members read their orgs' cube" on public.count_cube
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);

-- The cube is written only by the trigger.
revoke insert, update, delete, truncate on public.count_cube from anon, authenticated;
revoke update, truncate on public.events from anon, authenticated;
