-- Team management (docs/functions.md "members"): who is in an org, with their email
-- and name, and the invitations an org's admins have sent.
--
-- The member list: clients cannot read auth.users, so each membership carries the
-- member's email and display name, kept by triggers from auth.users (inserting a
-- membership copies them; a changed email or name is copied to every membership).
-- The existing policy "members read their orgs' memberships" then lets every member
-- of an org read its list (name, email, role), from the JWT's org_roles only.
--
-- Invitations: written only by the `members` edge function (as the database owner
-- over SUPABASE_DB_URL). The membership is created when the invitee accepts, never
-- at invite time. A pending invitation expires with the emailed link
-- (expires_at = sent_at + the link's lifetime, [auth.email] otp_expiry); the
-- `invitation_list` view reports such a row as `expired`. Only an org's admins read
-- invitations.

alter table public.memberships
  add column email text,
  add column display_name text;
comment on column public.memberships.email is 'The member''s auth.users email, kept by trigger (clients cannot read auth.users).';
comment on column public.memberships.display_name is 'user_metadata.display_name (or full_name / name) of the member, kept by trigger.';

-- The name a person gave, from the metadata keys Auth and its providers use.
create or replace function public.member_display_name(meta jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select nullif(coalesce(meta ->> 'display_name', meta ->> 'full_name', meta ->> 'name'), '')
$$;

-- Security definer: the inserting role (the function's owner connection, a seed, a
-- test) need not read auth.users itself.
create or replace function public.memberships_fill_profile()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  select u.email, public.member_display_name(u.raw_user_meta_data)
    into new.email, new.display_name
    from auth.users u
   where u.id = new.user_id;
  return new;
end;
$$;
revoke execute on function public.memberships_fill_profile() from public, anon, authenticated;

create trigger memberships_fill_profile before insert on public.memberships
  for each row execute function public.memberships_fill_profile();

-- Auth updates auth.users as supabase_auth_admin; the definer writes the copies.
create or replace function public.memberships_sync_profile()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.memberships
     set email = new.email, display_name = public.member_display_name(new.raw_user_meta_data)
   where user_id = new.id;
  return null;
end;
$$;
revoke execute on function public.memberships_sync_profile() from public, anon, authenticated;

create trigger memberships_sync_profile after update of email, raw_user_meta_data on auth.users
  for each row
  when (old.email is distinct from new.email or old.raw_user_meta_data is distinct from new.raw_user_meta_data)
  execute function public.memberships_sync_profile();

update public.memberships m
   set email = u.email, display_name = public.member_display_name(u.raw_user_meta_data)
  from auth.users u
 where u.id = m.user_id;

create type public.invitation_status as enum ('pending', 'accepted', 'revoked', 'expired');

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  email text not null check (email = lower(email) and length(email) between 3 and 320),
  role public.member_role not null,
  invited_by uuid references auth.users (id) on delete set null,
  status public.invitation_status not null default 'pending',
  -- 'invite': a new address (Auth's invitation email); 'magiclink': an existing account (sign-in link).
  link_type text not null check (link_type in ('invite', 'magiclink')),
  sent_at timestamptz not null default now(),
  send_count int not null default 1 check (send_count >= 1),
  expires_at timestamptz not null,
  accepted_by uuid references auth.users (id) on delete set null,
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  check (expires_at > sent_at)
);
comment on table public.invitations is 'Invitations to join an org, written by the members edge function; the membership is created on acceptance.';
-- One open invitation per address and org (a re-invite is a resend).
create unique index invitations_one_pending_idx on public.invitations (org_id, email) where status = 'pending';
create index invitations_email_pending_idx on public.invitations (email) where status = 'pending';

alter table public.invitations enable row level security;
revoke insert, update, delete, truncate on public.invitations from anon, authenticated;
create policy "admins read their orgs' invitations" on public.invitations
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) = 'admin');

-- What the Team page lists: a pending invitation past its link's expiry is `expired`.
-- security_invoker: the invitations policy applies to whoever reads the view.
create view public.invitation_list with (security_invoker = true) as
select i.id, i.org_id, i.email, i.role, i.invited_by, i.link_type, i.sent_at, i.send_count, i.expires_at,
       i.accepted_by, i.accepted_at, i.revoked_at, i.created_at,
       case when i.status = 'pending' and i.expires_at <= now() then 'expired'::public.invitation_status else i.status end as status
  from public.invitations i;
comment on view public.invitation_list is 'Invitations with pending-but-expired rows reported as expired (admins of the org only, via the invitations policy).';
revoke insert, update, delete, truncate on public.invitation_list from anon, authenticated;
