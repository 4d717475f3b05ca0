import fs from 'node:fs/promises';
import type { Sql } from 'postgres';

const BOOTSTRAP_SQL = new URL('./bootstrap.sql', import.meta.url);

/**
 * Run an idempotent SQL file in one transaction, serialised by an advisory lock so
 * concurrent starts against one cluster cannot interleave.
 */
export async function applyIdempotentSql(sql: Sql, file: URL): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('hotwatch.bootstrap'))`;
    await tx.unsafe(text);
  });
}

/**
 * Re-create what a Supabase project has before user migrations (roles, auth, realtime,
 * extensions schema, publications). Idempotent, run at every start, so an older data
 * directory picks up bootstrap changes.
 */
export async function applyBootstrap(sql: Sql): Promise<void> {
  await applyIdempotentSql(sql, BOOTSTRAP_SQL);
}
