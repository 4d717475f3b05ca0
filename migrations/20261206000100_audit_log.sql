-- Audit log shared by every privileged edge function: who changed what in an org,
-- with the row's state before and after. Each function writes its rows through
-- functions/_shared/audit.ts inside the transaction that makes the change, so a
-- change and its audit row commit or roll back together.
--
-- Append-only, like the streams and public.decisions: UPDATE/DELETE/TRUNCATE are
-- revoked from every API role (service_role too) and triggers refuse them even for
-- the owner. Clients never write: INSERT is revoked from anon and authenticated (the
-- functions write as the database owner over SUPABASE_DB_URL).
--
-- Read: an org's admins, over REST, under the tenant-policy convention — tenancy and
-- role from the JWT's org_roles claim only (no membership lookup per row).

create table public.audit_log (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  -- auth.users id of the person; null when the service role or the schedule acted.
  actor uuid references auth.users (id),
  action text not null check (length(action) between 1 and 100),
  target_type text not null check (length(target_type) between 1 and 100),
  target_id text not null check (length(target_id) between 1 and 200),
  before jsonb,
  after jsonb,
  at timestamptz not null default now()
);
comment on table public.audit_log is 'Append-only audit of privileged changes (actor, action, target, before/after), written by the edge functions in the same transaction as the change.';
create index audit_log_org_at_idx on public.audit_log (org_id, at desc, id desc);

create trigger audit_log_no_update before update on public.audit_log
  for each row execute function public.refuse_delete();
create trigger audit_log_no_delete before delete on public.audit_log
  for each row execute function public.refuse_delete();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function public.refuse_delete();
revoke update, delete, truncate on public.audit_log from anon, authenticated, service_role;
revoke insert on public.audit_log from anon, authenticated;

alter table public.audit_log enable row level security;
create policy "admins read their orgs' audit log" on public.audit_log
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) = 'admin');
