-- Hotwatch embedded stack: the SQL surface of supabase/vault 0.3 (vault.secrets,
-- vault.decrypted_secrets, vault.create_secret, vault.update_secret) without pgsodium.
-- Secrets are encrypted at rest with pgcrypto (OpenPGP symmetric, AES-256) under a
-- per-row key HMAC(root key, id || nonce), so a ciphertext only decrypts in its own
-- row, as pgsodium's AEAD binds it to the id. The root key is a file in the data
-- directory (hotwatch_vault.key, written by the stack at start, readable by the
-- server's superuser only) instead of pgsodium's server-side key: it is never in a
-- table, a dump or the WAL.

\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

create function vault._root_key() returns bytea
language plpgsql stable
security definer
set search_path = pg_catalog
as $$
declare
  k text;
begin
  begin
    k := btrim(pg_read_file('hotwatch_vault.key'), E' \n\r\t');
  exception when undefined_file then
    raise exception 'vault root key is missing'
      using hint = 'The Hotwatch stack writes hotwatch_vault.key into the data directory at start.';
  end;
  return decode(k, 'hex');
end;
$$;

create function vault._row_key(id uuid, nonce bytea) returns text
language sql stable
security definer
set search_path = pg_catalog
as $$
  select encode(@extschema:pgcrypto@.hmac(convert_to(id::text, 'utf8') || coalesce(nonce, ''::bytea),
                                           vault._root_key(), 'sha256'), 'hex')
$$;

create function vault._encrypt(message text, id uuid, nonce bytea) returns text
language sql stable
security definer
set search_path = pg_catalog
as $$
  select encode(@extschema:pgcrypto@.pgp_sym_encrypt(message, vault._row_key(id, nonce), 'cipher-algo=aes256'), 'base64')
$$;

create function vault._decrypt(secret text, id uuid, nonce bytea) returns text
language sql stable
security definer
set search_path = pg_catalog
as $$
  select @extschema:pgcrypto@.pgp_sym_decrypt(decode(secret, 'base64'), vault._row_key(id, nonce))
$$;

create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default @extschema:pgcrypto@.gen_random_bytes(16),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index on vault.secrets using btree (name) where name is not null;
select pg_catalog.pg_extension_config_dump('vault.secrets', '');

create view vault.decrypted_secrets as
select s.id,
       s.name,
       s.description,
       s.secret,
       vault._decrypt(s.secret, s.id, s.nonce) as decrypted_secret,
       s.key_id,
       s.nonce,
       s.created_at,
       s.updated_at
  from vault.secrets s;

create function vault.create_secret(
  new_secret text,
  new_name text = null,
  new_description text = '',
  -- unused, as in supabase/vault 0.3
  new_key_id uuid = null
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  rec record;
begin
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, coalesce(new_description, ''))
  returning * into rec;
  update vault.secrets s
     set secret = vault._encrypt(rec.secret, rec.id, rec.nonce)
   where s.id = rec.id;
  return rec.id;
end
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text = null,
  new_name text = null,
  new_description text = null,
  -- unused, as in supabase/vault 0.3
  new_key_id uuid = null
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  update vault.secrets s
     set secret = case when new_secret is null then s.secret
                       else vault._encrypt(new_secret, s.id, s.nonce) end,
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = now()
   where s.id = secret_id;
end
$$;

-- Privileges as supabase/vault 0.3 sets them: postgres only, with grant option.
revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke all on all functions in schema vault from public;
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets to postgres with grant option;
grant select, delete on vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid) to postgres with grant option;
grant execute on function vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;
