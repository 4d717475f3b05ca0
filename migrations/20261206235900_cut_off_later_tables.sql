-- The cut-off's restrictive policy (20261206154217_cut_off_and_sign_in_acceptance.sql) on
-- every table whose policies read the JWT's org_roles and that does not carry it yet —
-- the tables added after that migration (feed keys, …). Found from the catalog, so a
-- table is not missed by a list; tests/integration/security/cut-off.test.ts checks that
-- none lacks it. A table added later needs its own line in its migration.
do $$
declare t regclass;
begin
  for t in
    select distinct format('%I.%I', q.schemaname, q.tablename)::regclass
      from pg_policies q
     where q.schemaname in ('public', 'realtime')
       and (q.qual like '%org_roles%' or q.with_check like '%org_roles%')
       and not exists (select 1 from pg_policies c
                        where c.schemaname = q.schemaname and c.tablename = q.tablename
                          and c.policyname = 'banned accounts reach nothing')
  loop
    execute format($p$create policy "banned accounts reach nothing" on %s as restrictive for all to authenticated
                      using ((select rls.token_account_active())) with check ((select rls.token_account_active()))$p$, t);
  end loop;
end;
$$;
