-- Org settings (issue 21): one row per org holding what used to be constants in code —
-- the monitored area (GeoJSON and the res-8 H3 cells the scan monitors), named
-- districts for describing places, the IANA time zone, the org's categories and the
-- scan's thresholds; `map` is free JSON for the dashboard's map (part 2).
--
-- Members read their org's row over REST (tenant-policy convention: tenancy from the
-- JWT's org_roles claim only). Nobody writes over REST: the `org-settings` edge
-- function validates a change (GeoJSON, time zone, thresholds), computes the area's
-- cells and writes the row and its audit_log row in one transaction as the database
-- owner. Every org gets a row with defaults that reproduce the behaviour before
-- settings existed (trigger below); `scan` holds every threshold explicitly so a
-- reader sees what is in force. The defaults mirror functions/_shared/org-settings.ts
-- (tests/integration/functions/org-settings.test.ts fails if they drift).

alter table public.orgs add column is_demo boolean not null default false;
comment on column public.orgs.is_demo is 'Demo org: the dashboard offers "Run demo" and ingest accepts the demo generator''s events only here.';

create table public.org_settings (
  org_id uuid primary key references public.orgs (id) on delete cascade,
  -- GeoJSON Polygon or MultiPolygon; null = no area (every cell with events is monitored).
  area jsonb check (area is null or jsonb_typeof(area) = 'object'),
  -- The area's res-8 H3 cells (empty when area is null), computed by the function.
  area_cells text[] not null default '{}' check (cardinality(area_cells) <= 50000),
  -- GeoJSON Features with properties.name (≤ 500 chars), Polygon/MultiPolygon geometry.
  districts jsonb not null default '[]'::jsonb check (jsonb_typeof(districts) = 'array'),
  time_zone text not null default 'UTC' check (length(time_zone) between 1 and 100),
  -- [{key, label, colour, enabled}]
  categories jsonb not null default '[
    {"key": "fire", "label": "fire", "colour": "#d62728", "enabled": true},
    {"key": "flood", "label": "flooding", "colour": "#1f77b4", "enabled": true},
    {"key": "traffic", "label": "traffic collision", "colour": "#ff7f0e", "enabled": true},
    {"key": "crime", "label": "crime", "colour": "#9467bd", "enabled": true},
    {"key": "medical", "label": "medical emergency", "colour": "#e377c2", "enabled": true},
    {"key": "infrastructure", "label": "infrastructure failure", "colour": "#8c564b", "enabled": true},
    {"key": "air_quality", "label": "air quality", "colour": "#7f7f7f", "enabled": true},
    {"key": "public_disorder", "label": "public disorder", "colour": "#bcbd22", "enabled": true}
  ]'::jsonb check (jsonb_typeof(categories) = 'array'),
  scan jsonb not null default '{
    "scheduled": true,
    "max_window_hours": 6,
    "min_cases": 2,
    "severity_days": {"low": 7, "medium": 30, "high": 100, "critical": 365},
    "max_history_days": 28,
    "max_ring_k": 3,
    "max_clusters_per_category": 10,
    "resolve_after_quiet_hours": 2,
    "fire_after_detections": 2,
    "confirm_spacing_seconds": 50,
    "fire_immediately_at": "high",
    "growth_factor": 0.25,
    "min_growth_cases": 3,
    "recommendations_per_alert": 3
  }'::jsonb check (jsonb_typeof(scan) = 'object'),
  map jsonb not null default '{}'::jsonb check (jsonb_typeof(map) = 'object'),
  updated_at timestamptz not null default now(),
  updated_by uuid references auth.users (id) on delete set null
);
comment on table public.org_settings is 'Per-org settings (area, districts, time zone, categories, scan thresholds, map); members read, the org-settings function writes.';

alter table public.org_settings enable row level security;
create policy "members read their org's settings" on public.org_settings
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
revoke insert, update, delete, truncate on public.org_settings from anon, authenticated;

-- Every org has its settings row from the start (defaults = the behaviour before settings).
create or replace function public.create_org_settings()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.org_settings (org_id) values (new.id) on conflict do nothing;
  return new;
end;
$$;
revoke execute on function public.create_org_settings() from public, anon, authenticated;
create trigger orgs_create_settings after insert on public.orgs
  for each row execute function public.create_org_settings();
insert into public.org_settings (org_id) select id from public.orgs on conflict do nothing;

-- Open pages follow changes (RLS above decides who receives them).
alter publication supabase_realtime add table public.org_settings;

-- Events outside the org's area are accepted and flagged (ingest answers the count).
alter table public.events add column outside_area boolean not null default false;
comment on column public.events.outside_area is 'The event''s res-8 cell was outside the org''s area when it was ingested.';

-- The schedule scans only orgs whose settings say so (same job name: cron.schedule replaces it).
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
    left join public.org_settings s on s.org_id = o.id
   where coalesce((s.scan ->> 'scheduled')::boolean, true)
  $job$
);
