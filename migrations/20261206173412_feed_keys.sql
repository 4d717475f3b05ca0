-- Feed keys (issue 21 part 3): an org's admins give an automated feed (CAD, 311) its
-- own key that ingests into that org and does nothing else, through the `ingest-feed`
-- function (deployed with verify_jwt = false: the key is not a JWT).
--
-- A key is `hwfk_<12 hex>_<43 base64url>`: the first part (`key_prefix`, 48 random
-- bits) names the key and is shown in the dashboard; the whole key's SHA-256 is the
-- only thing stored. The key itself is shown once, in the `feed-keys` function's
-- answer to `create`. Three tables, so no REST read can ever reach a hash:
--   feed_keys          metadata; the org's admins read it over REST (RLS) and follow it
--                      over Realtime; nobody writes it over REST (the function does,
--                      as the database owner, with an audit_log row).
--   feed_key_secrets   the hash; RLS on, no policy, no privilege for any API role.
--   feed_key_buckets   the per-key rate limit's state (GCRA: one "theoretical arrival
--                      time" per key), UNLOGGED: it is written on every feed request,
--                      so it costs no WAL and stays out of logical replication; after a
--                      crash it is empty, which only means every bucket starts full.

create table public.feed_keys (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  key_prefix text not null unique check (key_prefix ~ '^hwfk_[0-9a-f]{12}$'),
  -- Requests per minute; the bucket holds one minute's worth (the burst).
  rate_limit_per_minute integer not null default 600 check (rate_limit_per_minute between 1 and 60000),
  created_at timestamptz not null default now(),
  created_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  -- Refreshed by ingest-feed at most once a minute per key (not a write per request).
  last_used_at timestamptz
);
comment on table public.feed_keys is 'Ingest keys for automated feeds, one org each (metadata only; the hash is in feed_key_secrets). Admins read; the feed-keys function writes.';
create index feed_keys_org on public.feed_keys (org_id, created_at);
-- One active key per name in an org (a revoked key's name may be reused).
create unique index feed_keys_active_name on public.feed_keys (org_id, name) where revoked_at is null;

alter table public.feed_keys enable row level security;
create policy "admins read their org's feed keys" on public.feed_keys
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) = 'admin');
revoke insert, update, delete, truncate on public.feed_keys from anon, authenticated;

create table public.feed_key_secrets (
  key_id uuid primary key references public.feed_keys (id) on delete cascade,
  key_hash bytea not null check (length(key_hash) = 32)
);
comment on table public.feed_key_secrets is 'SHA-256 of each feed key; read only by the ingest-feed function (no API role has any privilege).';
alter table public.feed_key_secrets enable row level security;
revoke all on public.feed_key_secrets from anon, authenticated, service_role;

create unlogged table public.feed_key_buckets (
  key_id uuid primary key references public.feed_keys (id) on delete cascade,
  -- GCRA theoretical arrival time: a request at t is admitted while tat - t <= the burst tolerance.
  tat timestamptz not null
);
comment on table public.feed_key_buckets is 'Per-feed-key rate limit state (GCRA), written by ingest-feed; unlogged (a crash only refills the buckets).';
alter table public.feed_key_buckets enable row level security;
revoke all on public.feed_key_buckets from anon, authenticated, service_role;

-- An open Settings page follows creations, revocations and last-used times (RLS above
-- decides who receives them: the org's admins).
alter publication supabase_realtime add table public.feed_keys;
