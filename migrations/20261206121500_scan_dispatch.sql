-- Scans that scale with orgs (issue 26, part 4). The schedule used to queue one pg_net
-- POST per org per minute, each a full scan: pg_net waits for a whole batch before it
-- takes the next, so one slow scan held every other org (and every other pg_net user),
-- and most scans found nothing new. Now:
--
--  * every insert statement on `events` appends one `scan_news` row per org it touched
--    (statement-level trigger: one tiny insert per ingest batch, no row anyone updates,
--    so concurrent ingests of one org never wait on each other);
--  * the schedule sends ONE POST a minute (`{"trigger": "cron"}`, no org), which the
--    hotspot-scan function answers 202 at once — pg_net is free again in milliseconds —
--    and then, in the background, claims due orgs one at a time (`claim_due_scan`) with a
--    bounded number of scans in flight;
--  * an org is due when it has news, or when an hour bucket has begun since its last scan
--    and it has an open hotspot (its quiet count must advance) or news inside its longest
--    window (its expected counts moved with the hour);
--  * a scan that commits deletes exactly the news rows it saw before reading the cube, so
--    an event committed while it ran leaves its news for the next round.
-- An org with nothing new costs the schedule one index probe in `claim_due_scan`.

create table public.scan_news (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id) on delete cascade,
  noted_at timestamptz not null default clock_timestamp()
);
comment on table public.scan_news is 'One row per events insert statement per org, until a scan that saw it commits (the schedule scans orgs with news).';
create index scan_news_org_idx on public.scan_news (org_id, noted_at);

create table public.org_scan_state (
  org_id uuid primary key references public.orgs (id) on delete cascade,
  -- A dispatcher is scanning the org until then (a dead worker's claim expires).
  claimed_until timestamptz,
  -- When the org's last committed scan started, and the newest news it consumed.
  last_scan_at timestamptz,
  last_news_at timestamptz
);
comment on table public.org_scan_state is 'Per-org scheduling state of the hotspot scan: claim, last committed scan, last news consumed.';

-- One row: the dispatcher that holds it is the only one claiming orgs (bounded concurrency
-- however many schedule POSTs overlap).
create table public.scan_dispatcher (
  id integer primary key default 1 check (id = 1),
  leased_until timestamptz
);
insert into public.scan_dispatcher (id) values (1);

-- Bookkeeping only the scan (database owner) touches.
alter table public.scan_news enable row level security;
alter table public.org_scan_state enable row level security;
alter table public.scan_dispatcher enable row level security;
revoke all on public.scan_news, public.org_scan_state, public.scan_dispatcher from anon, authenticated;

create or replace function public.note_scan_news()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.scan_news (org_id) select distinct r.org_id from new_rows r;
  return null;
end;
$$;
revoke execute on function public.note_scan_news() from public, anon, authenticated;
create trigger events_note_scan_news after insert on public.events
  referencing new table as new_rows
  for each statement execute function public.note_scan_news();

create or replace function public.create_org_scan_state()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.org_scan_state (org_id) values (new.id) on conflict do nothing;
  return new;
end;
$$;
revoke execute on function public.create_org_scan_state() from public, anon, authenticated;
create trigger orgs_create_scan_state after insert on public.orgs
  for each row execute function public.create_org_scan_state();
insert into public.org_scan_state (org_id) select id from public.orgs on conflict do nothing;
-- Orgs that already have events get one news row, so the first round scans them.
insert into public.scan_news (org_id) select distinct org_id from public.events;

-- Open hotspots per org (the due check's "quiet count must advance").
create index if not exists hotspots_org_open_idx on public.hotspots (org_id) where status <> 'resolved';
-- The dispatcher fails abandoned runs of every org at once.
create index if not exists scan_runs_running_idx on public.scan_runs (started_at) where status = 'running';

-- The scheduled orgs that are due now, oldest need first: `since` is the oldest unconsumed
-- news, or the start of the current bucket for a bucket-boundary rescan. Claimed orgs are
-- left out. Read-only (tests and operators use it to see what the next round will do).
create or replace function public.due_scans(bucket interval default '1 hour')
returns table (org_id uuid, since timestamptz, reason text)
language sql
stable
security definer
set search_path = ''
as $$
  with s as (
    select st.org_id, st.last_scan_at, st.last_news_at,
           (select min(n.noted_at) from public.scan_news n where n.org_id = st.org_id) as news_since,
           coalesce((o.scan ->> 'max_window_hours')::float8, 6) as window_hours
      from public.org_scan_state st
      join public.org_settings o on o.org_id = st.org_id
     where coalesce((o.scan ->> 'scheduled')::boolean, true)
       and (st.claimed_until is null or st.claimed_until < now())
  ), b as (select date_bin(bucket, now(), timestamptz '2000-01-01 00:00:00+00') as current_bucket)
  select s.org_id,
         coalesce(s.news_since, b.current_bucket),
         case when s.news_since is not null then 'news' else 'bucket' end
    from s, b
   where s.news_since is not null
      or (s.last_scan_at is not null and s.last_scan_at < b.current_bucket
          and (exists (select 1 from public.hotspots h where h.org_id = s.org_id and h.status <> 'resolved')
               or s.last_news_at > now() - make_interval(secs => s.window_hours * 3600)))
   order by 2, 1
$$;
revoke execute on function public.due_scans(interval) from public, anon, authenticated;

-- Claim the most overdue org for `lease` (the dispatcher releases it when its scan ends).
create or replace function public.claim_due_scan(lease interval default '10 minutes', bucket interval default '1 hour')
returns table (org_id uuid, since timestamptz, reason text)
language sql
volatile
security definer
set search_path = ''
as $$
  with pick as (
    select st.org_id, d.since, d.reason
      from public.due_scans(bucket) d
      join public.org_scan_state st on st.org_id = d.org_id
     order by d.since, d.org_id
     limit 1
       for update of st skip locked
  )
  update public.org_scan_state st set claimed_until = now() + lease
    from pick where st.org_id = pick.org_id
  returning st.org_id, pick.since, pick.reason
$$;
revoke execute on function public.claim_due_scan(interval, interval) from public, anon, authenticated;

-- The news of unscheduled orgs never triggers anything: drop it (an HTTP scan would
-- consume it too), so the table stays as small as the backlog.
create or replace function public.drop_unscheduled_scan_news()
returns bigint
language sql
security definer
set search_path = ''
as $$
  with gone as (
    delete from public.scan_news n
     using public.org_settings o
     where o.org_id = n.org_id and not coalesce((o.scan ->> 'scheduled')::boolean, true)
    returning 1
  )
  select count(*) from gone;
$$;
revoke execute on function public.drop_unscheduled_scan_news() from public, anon, authenticated;

-- One POST a minute; the function dispatches (the body names no org).
select cron.schedule(
  'hotspot-scan',
  '* * * * *',
  $job$
  select net.http_post(
           url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
                  || '/functions/v1/hotspot-scan',
           body := jsonb_build_object('trigger', 'cron'),
           headers := jsonb_build_object(
             'Content-Type', 'application/json',
             'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets
                                              where name = 'hotspot_scan_key')),
           timeout_milliseconds := 30000
         ) as request_id
  $job$
);
