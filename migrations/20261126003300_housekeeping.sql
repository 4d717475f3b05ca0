-- Housekeeping: foreign-key indexes the stream joins need, and a daily purge of the
-- bookkeeping that the every-minute scan schedule accumulates (1,440 scan_runs and
-- cron.job_run_details rows per org per day). Stream rows (hotspots, alerts,
-- recommendations) are never deleted; a scan_runs row that a hotspot still points at
-- is kept however old.

-- Postgres does not index the referencing side of a foreign key: without these, every
-- "alerts of this hotspot" lookup and every delete of a scan_runs row scans the table.
create index if not exists alerts_hotspot_id_idx on public.alerts (hotspot_id);
create index if not exists recommendations_hotspot_id_idx on public.recommendations (hotspot_id);
create index if not exists hotspots_scan_id_idx on public.hotspots (scan_id) where scan_id is not null;
create index if not exists decisions_recommendation_id_idx on public.decisions (recommendation_id) where recommendation_id is not null;
create index if not exists decisions_alert_id_idx on public.decisions (alert_id) where alert_id is not null;

-- Finished scan runs older than 30 days that no hotspot references. Revoked from the API
-- roles; the schedule below calls it as the job's owner.
create or replace function public.purge_scan_runs(keep interval default '30 days')
returns bigint
language sql
security definer
set search_path = ''
as $$
  with gone as (
    delete from public.scan_runs r
     where r.status <> 'running'
       and coalesce(r.finished_at, r.started_at) < now() - keep
       and not exists (select 1 from public.hotspots h where h.scan_id = r.id)
    returning 1
  )
  select count(*) from gone;
$$;

revoke execute on function public.purge_scan_runs(interval) from public, anon, authenticated;

-- Daily at 03:17 UTC: the scan runs above, and pg_cron's own run history older than 7 days
-- (Supabase's advice for pg_cron). The cron part lives in the job, not in a public function,
-- so nothing in an exposed schema touches cron.
select cron.schedule(
  'purge-scan-history',
  '17 3 * * *',
  $job$
  select public.purge_scan_runs('30 days');
  delete from cron.job_run_details where end_time < now() - interval '7 days';
  $job$
);
