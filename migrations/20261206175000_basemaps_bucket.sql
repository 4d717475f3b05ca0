-- The `basemaps` Storage bucket (issue 22): an org's admins upload a PMTiles archive of
-- their city; the dashboard reads it with HTTP Range requests (the `pmtiles` protocol)
-- through the authenticated download route, so RLS on storage.objects decides.
--
-- Objects live under the org's folder, `<org_id>/<name>.pmtiles` (storage.foldername);
-- members read their org's folder, admins write it (the tenant convention: the JWT's
-- org_roles claim, no table lookups). Private bucket: no public URLs. 50 MiB matches
-- the CLI's [storage] file_size_limit, the most the embedded stack and a default hosted
-- project accept per object.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('basemaps', 'basemaps', false, 52428800, array['application/vnd.pmtiles', 'application/octet-stream'])
on conflict (id) do nothing;

create policy "basemaps: members read their org's folder" on storage.objects
  for select to authenticated
  using (bucket_id = 'basemaps' and ((select auth.jwt()) -> 'org_roles') ? (storage.foldername(name))[1]);
create policy "basemaps: admins add to their org's folder" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'basemaps' and ((select auth.jwt()) -> 'org_roles' ->> (storage.foldername(name))[1]) = 'admin');
-- Overwriting (upsert) needs UPDATE as well as SELECT.
create policy "basemaps: admins replace in their org's folder" on storage.objects
  for update to authenticated
  using (bucket_id = 'basemaps' and ((select auth.jwt()) -> 'org_roles' ->> (storage.foldername(name))[1]) = 'admin')
  with check (bucket_id = 'basemaps' and ((select auth.jwt()) -> 'org_roles' ->> (storage.foldername(name))[1]) = 'admin');
create policy "basemaps: admins delete from their org's folder" on storage.objects
  for delete to authenticated
  using (bucket_id = 'basemaps' and ((select auth.jwt()) -> 'org_roles' ->> (storage.foldername(name))[1]) = 'admin');
