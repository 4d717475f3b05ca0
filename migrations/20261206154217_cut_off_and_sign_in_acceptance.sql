-- Team management, second part (issue 20; docs/security.md "Removing a member"):
--
-- 1. The immediate cut-off ends access at once. Policies read the org from the JWT,
--    so a removed member's unexpired access token kept reading over REST and
--    Realtime. The `members` function's cut-off bans the account (Auth's
--    banned_until); every org-scoped table now also has a RESTRICTIVE policy that
--    lets a token through only while its account is not banned. One primary-key
--    lookup in auth.users per statement (an initPlan: `(select …)`), whatever the
--    row count. Removal without the cut-off bans nobody, so the token's documented
--    window (jwt_expiry) stays as it was.
--
-- 2. Signing in accepts pending invitations. Auth stamps auth.users.last_sign_in_at
--    in the transaction that issues a new session (GoTrue's issueRefreshToken →
--    UpdateLastSignInAt, before it calls the access token hook), so a trigger on it
--    turns the user's live invitations into memberships and the token being issued
--    already carries the new org — for a password sign-in as for the emailed link.

-- ── 1. the cut-off ──────────────────────────────────────────────────────────────

-- The policy helper's own schema: usable by `authenticated` (a policy's functions run
-- as the querying role), not exposed by the API (supabase/config.toml [api] schemas),
-- and holding nothing else — `private` stays owner-only.
create schema if not exists rls;
revoke all on schema rls from public;
grant usage on schema rls to authenticated;

-- Whether the token's account may still read: false only for a banned account.
-- A token without `sub` (none reach these policies: anon has no permissive policy,
-- the service role bypasses RLS) or whose user has no row passes; such tokens carry
-- no org the database gave them. Security definer: clients cannot read auth.users.
create or replace function rls.token_account_active()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select not exists (
    select 1 from auth.users u
     where u.id = (select auth.uid()) and u.banned_until > now()
  )
$$;
comment on function rls.token_account_active() is 'RLS helper: false when the token''s account is banned (the members function''s immediate cut-off).';
revoke execute on function rls.token_account_active() from public, anon;
grant execute on function rls.token_account_active() to authenticated;

-- Every table whose policies read the JWT's org_roles (tests/integration/security/
-- cut-off.test.ts checks none is missing). RESTRICTIVE: AND'ed with the
-- table's permissive policies; FOR ALL: reads and writes alike.
do $$
declare t regclass;
begin
  foreach t in array array[
    'public.orgs', 'public.memberships', 'public.events', 'public.count_cube',
    'public.hotspots', 'public.alerts', 'public.recommendations', 'public.scan_runs',
    'public.decisions', 'public.playbooks', 'public.notification_channels',
    'public.notification_outbox', 'public.notification_attempts', 'public.silences',
    'public.audit_log', 'public.org_settings', 'public.playbook_hidden', 'public.invitations',
    'realtime.messages'
  ]::regclass[] loop
    execute format($p$create policy "banned accounts reach nothing" on %s as restrictive for all to authenticated
                      using ((select rls.token_account_active())) with check ((select rls.token_account_active()))$p$, t);
  end loop;
end;
$$;

-- ── 2. accepting invitations ────────────────────────────────────────────────────

-- Turn the user's live pending invitations (their confirmed address, not expired, not
-- revoked) into memberships; an existing membership keeps its role. Audited as
-- `member.accept` by the user, `via` saying what accepted it. Used by the sign-in
-- trigger below and by the members function's `accept` action.
create or replace function private.accept_invitations(p_user uuid, p_via text)
returns table (invitation_id uuid, invited_org uuid, invited_role public.member_role)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_email text;
  v_added boolean;
  inv record;
begin
  select lower(u.email) into v_email
    from auth.users u where u.id = p_user and u.email_confirmed_at is not null;
  if v_email is null then
    return;
  end if;
  for inv in
    select i.id, i.org_id, i.role from public.invitations i
     where i.email = v_email and i.status = 'pending' and i.expires_at > now()
     order by i.created_at
       for update
  loop
    insert into public.memberships (org_id, user_id, role) values (inv.org_id, p_user, inv.role)
      on conflict do nothing;
    v_added := found;
    update public.invitations set status = 'accepted', accepted_by = p_user, accepted_at = now() where id = inv.id;
    insert into public.audit_log (org_id, actor, action, target_type, target_id, before, after)
    values (inv.org_id, p_user, 'member.accept', 'membership', p_user::text, null,
            jsonb_build_object('role', inv.role, 'invitation_id', inv.id, 'email', v_email, 'added', v_added, 'via', p_via));
    invitation_id := inv.id;
    invited_org := inv.org_id;
    invited_role := inv.role;
    return next;
  end loop;
end;
$$;
comment on function private.accept_invitations(uuid, text) is 'Accept the user''s live pending invitations (confirmed address): memberships, status accepted, audit member.accept.';
revoke execute on function private.accept_invitations(uuid, text) from public, anon, authenticated;

create or replace function private.accept_invitations_on_sign_in()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.accept_invitations(new.id, 'sign_in');
  return null;
end;
$$;
revoke execute on function private.accept_invitations_on_sign_in() from public, anon, authenticated;

-- Auth writes last_sign_in_at (as supabase_auth_admin) on every new session: password,
-- email link, OTP; some Auth versions on refresh too, which accepts nothing new.
create trigger accept_invitations_on_sign_in after update of last_sign_in_at on auth.users
  for each row
  when (new.last_sign_in_at is distinct from old.last_sign_in_at and new.email_confirmed_at is not null)
  execute function private.accept_invitations_on_sign_in();
