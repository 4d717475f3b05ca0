import fs from 'node:fs/promises';
import type { Sql } from 'postgres';

const SCHEMA_SQL = new URL('./schema.sql', import.meta.url);

/**
 * The `storage` schema Supabase Storage's own migrations create on a hosted project,
 * applied after the bootstrap and before user migrations (which may insert buckets and
 * create policies on storage.objects). Idempotent, under the bootstrap's advisory lock.
 */
export async function applyStorageSchema(sql: Sql): Promise<void> {
  const text = await fs.readFile(SCHEMA_SQL, 'utf8');
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('hotwatch.bootstrap'))`;
    await tx.unsafe(text);
  });
}
