-- Tenancy: organisations, memberships and the custom access token hook.
-- Every tenant-scoped policy in this project reads tenancy from the JWT only
-- (auth.jwt() -> 'org_roles'), so Realtime can authorize a change once per
-- distinct claim set instead of once per subscriber.

create type public.member_role as enum ('viewer', 'operator', 'admin');

create table public.orgs (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);
comment on table public.orgs is 'Tenants. Members see only their own orgs'' rows everywhere.';

create table public.memberships (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null,
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
comment on table public.memberships is 'User ↔ org with a role; copied into JWT claims by the access token hook.';
create index memberships_user_id_idx on public.memberships (user_id);

alter table public.orgs enable row level security;
alter table public.memberships enable row level security;

create policy "members read their orgs" on public.orgs
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (id)::text);

create policy "members read their orgs' memberships" on public.memberships
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);

-- Custom access token hook (Supabase RBAC guide pattern): Supabase Auth calls it
-- as supabase_auth_admin before issuing every access token. It adds
-- "org_roles": {"<org uuid>": "viewer" | "operator" | "admin"} to the claims.
create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  roles jsonb;
begin
  select coalesce(jsonb_object_agg(m.org_id::text, m.role), '{}'::jsonb)
    into roles
    from public.memberships m
   where m.user_id = (event ->> 'user_id')::uuid;

  return jsonb_set(event, '{claims}', coalesce(event -> 'claims', '{}'::jsonb) || jsonb_build_object('org_roles', roles));
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is 'Supabase Auth custom access token hook: adds org_roles to the JWT.';

grant usage on schema public to supabase_auth_admin;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;
grant select on table public.memberships to supabase_auth_admin;
create policy "auth admin reads memberships for the token hook" on public.memberships
  as permissive for select to supabase_auth_admin using (true);
