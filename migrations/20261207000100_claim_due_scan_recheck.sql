-- Concurrent claims handed out one org twice (two scans of one org, one of them skipped).
-- Lanes start together and read the same due list; a lane whose statement began before
-- another lane's claim committed, and locks the org's row after it, re-checks only the
-- quals on the locked row in its new version (READ COMMITTED's EvalPlanQual). The claim
-- check lived inside due_scans(), which is not inlined (security definer), so the lock
-- passed and the org was claimed again. The check now sits on the locked row itself.
create or replace function public.claim_due_scan(lease interval default '10 minutes', bucket interval default '1 hour')
returns table (org_id uuid, since timestamptz, reason text)
language sql
volatile
security definer
set search_path = ''
as $$
  with pick as (
    select st.org_id, d.since, d.reason
      from public.due_scans(bucket) d
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
revoke execute on function public.claim_due_scan(interval, interval) from public, anon, authenticated;
