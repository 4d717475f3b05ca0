-- Demo tenants and logins for local use only (never deployed: `db push` applies
-- seed files only with --include-seed). Every demo password is "hotwatch-demo".
-- Northside is the demo org ("Run demo" writes its synthetic events there); Harbor is
-- not, the path a real city takes. Both get default settings (the orgs_create_settings
-- trigger), which reproduce the behaviour before org settings existed.
insert into public.orgs (id, slug, name, is_demo) values
  ('11111111-1111-4111-8111-111111111111', 'northside', 'Northside City Operations', true),
  ('22222222-2222-4222-8222-222222222222', 'harbor', 'Harbor District Authority', false)
on conflict (id) do nothing;

insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
select u.id, 'authenticated', 'authenticated', u.email,
       extensions.crypt('hotwatch-demo', extensions.gen_salt('bf', 10)), now(),
       '{"provider":"email","providers":["email"]}'::jsonb,
       jsonb_build_object('display_name', u.display_name)
  from (values
    ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'admin@northside.demo', 'Nia Admin'),
    ('aaaaaaaa-0000-4000-8000-000000000002'::uuid, 'operator@northside.demo', 'Omar Operator'),
    ('aaaaaaaa-0000-4000-8000-000000000003'::uuid, 'viewer@northside.demo', 'Vera Viewer'),
    ('bbbbbbbb-0000-4000-8000-000000000001'::uuid, 'operator@harbor.demo', 'Hana Operator'),
    ('bbbbbbbb-0000-4000-8000-000000000002'::uuid, 'viewer@harbor.demo', 'Hugo Viewer')
  ) as u(id, email, display_name)
on conflict (id) do nothing;

insert into public.memberships (org_id, user_id, role) values
  ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000001', 'admin'),
  ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000002', 'operator'),
  ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-000000000003', 'viewer'),
  ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000001', 'operator'),
  ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-000000000002', 'viewer')
on conflict do nothing;
