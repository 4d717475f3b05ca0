-- Scheduled hotspot scans: every minute, pg_cron queues one pg_net POST per org to the
-- hotspot-scan edge function (every org: a scan also resolves hotspots that went quiet). Applies unchanged on hosted Supabase and on the embedded
-- stack (which ships pg_cron, pg_net and supabase_vault as emulated extensions).
--
-- The URL and credential come from two vault secrets that never live in migrations:
--   project_url       e.g. https://<ref>.supabase.co (embedded stack: its gateway URL)
--   hotspot_scan_key  the legacy service_role JWT (sb_secret_… keys are not JWTs and the
--                     functions gateway verifies a JWT); never the anon/publishable key.
-- The embedded stack writes both at every start; on Supabase create them once with
--   select vault.create_secret('<url>', 'project_url');
--   select vault.create_secret('<service_role JWT>', 'hotspot_scan_key');
-- Until they exist each run fails (null url) and says so in cron.job_run_details.

create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
create extension if not exists supabase_vault with schema vault;

select cron.schedule(
  'hotspot-scan',
  '* * * * *',
  $job$
  select net.http_post(
           url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
                  || '/functions/v1/hotspot-scan',
           body := jsonb_build_object('org_id', o.id, 'trigger', 'cron'),
           headers := jsonb_build_object(
             'Content-Type', 'application/json',
             'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets
                                              where name = 'hotspot_scan_key')),
           timeout_milliseconds := 120000
         ) as request_id
    from public.orgs o
  $job$
);
