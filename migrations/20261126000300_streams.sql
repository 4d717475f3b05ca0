-- The three live streams (hotspots, alerts, recommendations), scan runs and the
-- append-only decisions audit.
--
-- Stream rows are never deleted: resolution, supersession and retention are status
-- updates. Supabase Realtime does not apply RLS to DELETE events, so a delete would
-- leak a row's key across tenants; DELETE/TRUNCATE are revoked and also refused by
-- triggers, so not even the owner deletes one.
--
-- Every stream row carries `version` (bumped by a trigger on each write) and `tx_id`
-- (the writing transaction, xid8). public.stream_resume() pages rows whose tx_id is at
-- or after a cursor taken from pg_snapshot_xmin(), so a transaction that started
-- before a client's cursor but committed after it is never skipped.

create type public.hotspot_status as enum ('new', 'ongoing', 'resolved');
create type public.severity as enum ('low', 'medium', 'high', 'critical');
create type public.alert_state as enum ('pending', 'firing', 'acknowledged', 'resolved');
create type public.recommendation_status as enum ('pending', 'approved', 'rejected', 'superseded');
create type public.scan_status as enum ('running', 'succeeded', 'failed', 'skipped');
create type public.stream_name as enum ('hotspots', 'alerts', 'recommendations');

create table public.scan_runs (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  trigger text not null check (trigger in ('cron', 'http', 'manual')),
  parameters jsonb not null default '{}'::jsonb,
  status public.scan_status not null default 'running',
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  cpu_ms double precision,
  stats jsonb not null default '{}'::jsonb,
  error text
);
comment on table public.scan_runs is 'One row per hotspot scan invocation, with its parameters, CPU time and statistics.';
create index scan_runs_org_started_idx on public.scan_runs (org_id, started_at desc);

create table public.hotspots (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  category text not null,
  dedup_key text not null,
  status public.hotspot_status not null default 'new',
  severity public.severity not null,
  model text not null,
  cells text[] not null check (cardinality(cells) >= 1),
  center_cell text not null,
  center_lat double precision not null,
  center_lng double precision not null,
  radius_m double precision not null check (radius_m >= 0),
  window_start timestamptz not null,
  window_end timestamptz not null,
  observed integer not null check (observed >= 0),
  expected double precision not null check (expected >= 0),
  relative_risk double precision not null,
  score double precision not null,
  p_value double precision not null check (p_value between 0 and 1),
  recurrence_interval_days double precision not null,
  quiet_scans integer not null default 0,
  first_detected_at timestamptz not null default now(),
  last_detected_at timestamptz not null default now(),
  resolved_at timestamptz,
  scan_id bigint references public.scan_runs (id),
  version integer not null default 1,
  tx_id xid8 not null default pg_current_xact_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.hotspots is 'Statistically significant space-time clusters, one row per cluster identity (dedup_key) while active.';
create unique index hotspots_active_dedup_key on public.hotspots (org_id, dedup_key) where status <> 'resolved';
create index hotspots_org_id_idx on public.hotspots (org_id, id);
create index hotspots_tx_id_idx on public.hotspots (tx_id);

create table public.alerts (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  hotspot_id bigint not null references public.hotspots (id),
  dedup_key text not null,
  category text not null,
  severity public.severity not null,
  state public.alert_state not null default 'pending',
  title text not null,
  description text not null,
  consecutive_detections integer not null default 1,
  notify_count integer not null default 0,
  last_notified_at timestamptz,
  acknowledged_by uuid references auth.users (id),
  acknowledged_at timestamptz,
  resolved_by uuid references auth.users (id),
  resolved_at timestamptz,
  version integer not null default 1,
  tx_id xid8 not null default pg_current_xact_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.alerts is 'Alert lifecycle per hotspot: pending → firing → acknowledged → resolved.';
create unique index alerts_active_dedup_key on public.alerts (org_id, dedup_key) where state <> 'resolved';
create index alerts_org_id_idx on public.alerts (org_id, id);
create index alerts_tx_id_idx on public.alerts (tx_id);

create table public.playbooks (
  id uuid primary key default gen_random_uuid(),
  org_id uuid references public.orgs (id),
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{1,100}$'),
  title text not null,
  category text not null,
  tags text[] not null default '{}',
  severities public.severity[] not null default '{low,medium,high,critical}',
  summary text not null default '',
  body text not null,
  steps jsonb not null default '[]'::jsonb check (jsonb_typeof(steps) = 'array'),
  created_at timestamptz not null default now()
);
comment on table public.playbooks is 'Response playbooks retrieved for alerts (global when org_id is null, else per org).';
create unique index playbooks_slug_key on public.playbooks (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), slug);

create table public.recommendations (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  alert_id bigint not null references public.alerts (id),
  hotspot_id bigint not null references public.hotspots (id),
  playbook_id uuid not null references public.playbooks (id),
  alert_revision integer not null,
  rank integer not null check (rank >= 1),
  score double precision not null,
  action text not null,
  rationale text not null,
  citations jsonb not null default '[]'::jsonb check (jsonb_typeof(citations) = 'array'),
  status public.recommendation_status not null default 'pending',
  decided_by uuid references auth.users (id),
  decided_at timestamptz,
  decision_reason text,
  version integer not null default 1,
  tx_id xid8 not null default pg_current_xact_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint recommendations_alert_revision_playbook_key unique (alert_id, alert_revision, playbook_id)
);
comment on table public.recommendations is 'Playbook-backed actions proposed for an alert; operators approve or reject them.';
create index recommendations_org_id_idx on public.recommendations (org_id, id);
create index recommendations_tx_id_idx on public.recommendations (tx_id);

create table public.decisions (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  recommendation_id bigint references public.recommendations (id),
  alert_id bigint references public.alerts (id),
  action text not null check (action in ('approve', 'reject', 'acknowledge', 'resolve')),
  from_status text not null,
  to_status text not null,
  reason text,
  actor uuid references auth.users (id),
  created_at timestamptz not null default now(),
  check (recommendation_id is not null or alert_id is not null)
);
comment on table public.decisions is 'Append-only audit of operator decisions on recommendations and alerts.';
create index decisions_org_idx on public.decisions (org_id, id);

-- Stamp version and writing transaction on every stream write.
create or replace function public.stream_row_stamp()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.version := 1;
  else
    new.version := old.version + 1;
  end if;
  new.tx_id := pg_current_xact_id();
  new.updated_at := now();
  return new;
end;
$$;

create or replace function public.refuse_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% rows are never deleted', tg_table_name
    using errcode = '42501', hint = 'Resolve, supersede or retire the row with a status update instead.';
end;
$$;

-- Broadcast from Database: every stream write is also sent to the private topic
-- org:<org_id>:<stream> (the scale path; realtime.messages RLS authorizes readers).
create or replace function public.stream_row_broadcast()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes(
    'org:' || new.org_id::text || ':' || tg_table_name,
    tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end;
$$;

do $$
declare t text;
begin
  foreach t in array array['hotspots', 'alerts', 'recommendations'] loop
    execute format('create trigger %I before insert or update on public.%I for each row execute function public.stream_row_stamp()', t || '_stamp', t);
    execute format('create trigger %I after insert or update on public.%I for each row execute function public.stream_row_broadcast()', t || '_broadcast', t);
    execute format('create trigger %I before delete on public.%I for each row execute function public.refuse_delete()', t || '_no_delete', t);
    execute format('create trigger %I before truncate on public.%I for each statement execute function public.refuse_delete()', t || '_no_truncate', t);
    execute format('revoke delete, truncate on public.%I from anon, authenticated, service_role', t);
    execute format('revoke insert, update on public.%I from anon, authenticated', t);
    execute format('alter table public.%I enable row level security', t);
    execute format($p$create policy "members read their orgs' %s" on public.%I for select to authenticated
                      using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)$p$, t, t);
  end loop;
end;
$$;

create trigger decisions_no_update before update on public.decisions
  for each row execute function public.refuse_delete();
create trigger decisions_no_delete before delete on public.decisions
  for each row execute function public.refuse_delete();
create trigger decisions_no_truncate before truncate on public.decisions
  for each statement execute function public.refuse_delete();
revoke update, delete, truncate on public.decisions from anon, authenticated, service_role;
revoke insert on public.decisions from anon, authenticated;

revoke execute on function public.stream_row_broadcast() from public, anon, authenticated;

alter table public.scan_runs enable row level security;
alter table public.decisions enable row level security;
alter table public.playbooks enable row level security;

create policy "members read their orgs' scan runs" on public.scan_runs
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
create policy "members read their orgs' decisions" on public.decisions
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
create policy "members read global and own playbooks" on public.playbooks
  for select to authenticated
  using (org_id is null or ((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
revoke insert, update, delete, truncate on public.scan_runs, public.playbooks from anon, authenticated;

-- Private-channel authorization for Broadcast from Database: a member may read the
-- topics org:<their org>:<stream>.
create policy "members read their orgs' stream topics" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and split_part((select realtime.topic()), ':', 1) = 'org'
    and ((select auth.jwt()) -> 'org_roles') ? split_part((select realtime.topic()), ':', 2)
  );

-- Postgres Changes. REPLICA IDENTITY stays DEFAULT (primary key): rows are never
-- deleted, UPDATE payloads carry the full new row, and with RLS on Supabase trims
-- old_record to the key anyway, so FULL would only add WAL volume.
alter publication supabase_realtime add table public.hotspots, public.alerts, public.recommendations;

-- Resume: one page of a stream as {rows, next, cursor, done}, rows and cursor from
-- one snapshot (a single SQL statement, security invoker so RLS applies).
--   p_cursor null  → all rows (initial snapshot); keep the first page's cursor.
--   p_cursor c     → rows written by transactions with id ≥ c (catch-up after a gap).
create or replace function public.stream_resume(
  p_stream public.stream_name,
  p_cursor xid8 default null,
  p_after_id bigint default 0,
  p_limit integer default 1000
)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  with lim as (
    select least(greatest(coalesce(p_limit, 1000), 1), 1000) as n
  ),
  page as (
    (select h.id, to_jsonb(h) as row from public.hotspots h
      where p_stream = 'hotspots' and (p_cursor is null or h.tx_id >= p_cursor) and h.id > coalesce(p_after_id, 0)
      order by h.id limit (select n from lim))
    union all
    (select a.id, to_jsonb(a) from public.alerts a
      where p_stream = 'alerts' and (p_cursor is null or a.tx_id >= p_cursor) and a.id > coalesce(p_after_id, 0)
      order by a.id limit (select n from lim))
    union all
    (select r.id, to_jsonb(r) from public.recommendations r
      where p_stream = 'recommendations' and (p_cursor is null or r.tx_id >= p_cursor) and r.id > coalesce(p_after_id, 0)
      order by r.id limit (select n from lim))
  )
  select jsonb_build_object(
    'rows', coalesce(jsonb_agg(page.row order by page.id), '[]'::jsonb),
    'next', coalesce(max(page.id), coalesce(p_after_id, 0)),
    'cursor', pg_snapshot_xmin(pg_current_snapshot())::text,
    'done', count(*) < (select n from lim)
  )
  from page
$$;
comment on function public.stream_resume(public.stream_name, xid8, bigint, integer) is
  'Gap-free snapshot and catch-up for the live streams; see README "The stream guarantee".';
