-- A busy org was rescanned back to back. An org with news was due as soon as a lane was
-- free, so under a steady stream of events (news every few seconds) the two lanes scanned
-- the same orgs over and over: the 30-minute soak (10 orgs, 200 events/s) ran 320–360
-- scheduled scans a minute, each org every ~2 s, and their CPU grew with the org's data
-- (12.7 → 19.7 s of scan CPU a minute in 6 minutes) — load on the database that every
-- ingest and stream shares, and on a hosted project one edge-function invocation per
-- scan. Counts move by the hour bucket; a scan seconds after the last one adds little.
--
-- Now an org is due only when its last committed scan (any trigger: an operator's scan
-- counts) started at least `min_interval` ago — 30 s by default, which the dispatcher
-- passes from HOTWATCH_SCAN_MIN_INTERVAL_MS. An event then waits at most that long (plus a
-- lane) for its scan; an org without a recent scan is due at once, as before.

drop function if exists public.claim_due_scan(interval, interval);
drop function if exists public.due_scans(interval);

create function public.due_scans(bucket interval default '1 hour', min_interval interval default '30 seconds')
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
       and (st.last_scan_at is null or st.last_scan_at <= now() - min_interval)
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
revoke execute on function public.due_scans(interval, interval) from public, anon, authenticated;

-- As in 20261207000100 (the claim re-checked on the locked row), with the interval passed on.
create function public.claim_due_scan(lease interval default '10 minutes', bucket interval default '1 hour', min_interval interval default '30 seconds')
returns table (org_id uuid, since timestamptz, reason text)
language sql
volatile
security definer
set search_path = ''
as $$
  with pick as (
    select st.org_id, d.since, d.reason
      from public.due_scans(bucket, min_interval) d
      join public.org_scan_state st on st.org_id = d.org_id
     where st.claimed_until is null or st.claimed_until < now()
     order by d.since, d.org_id
     limit 1
       for update of st skip locked
  )
  update public.org_scan_state st set claimed_until = now() + lease
    from pick where st.org_id = pick.org_id
  returning st.org_id, pick.since, pick.reason
$$;
revoke execute on function public.claim_due_scan(interval, interval, interval) from public, anon, authenticated;
