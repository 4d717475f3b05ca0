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

-- Finished scan runs older than 30 days that no hotspot references, and cron run
-- history older than 7 days (Supabase's own advice for pg_cron), once a day at 03:17 UTC.
create or replace function public.purge_scan_history(keep_runs interval default '30 days', keep_cron interval default '7 days')
returns table (scan_runs_deleted bigint, cron_runs_deleted bigint)
language plpgsql
security definer
set search_path = ''
as $$
declare
  runs bigint;
  crons bigint;
begin
  delete from public.scan_runs r
   where r.status <> 'running'
     and coalesce(r.finished_at, r.started_at) < now() - keep_runs
     and not exists (select 1 from public.hotspots h where h.scan_id = r.id);
  get diagnostics runs = row_count;
  delete from cron.job_run_details d where d.end_time < now() - keep_cron;
  get diagnostics crons = row_count;
  return query select runs, crons;
end;
$$;

revoke execute on function public.purge_scan_history(interval, interval) from public, anon, authenticated;

select cron.schedule('purge-scan-history', '17 3 * * *', $job$ select * from public.purge_scan_history() $job$);
