import type { Sql } from 'postgres';
import { applyIdempotentSql } from '../postgres/bootstrap.ts';

/**
 * The `storage` schema Supabase Storage's own migrations create on a hosted project,
 * applied after the bootstrap and before user migrations (which may insert buckets and
 * create policies on storage.objects). Idempotent, every start.
 */
export async function applyStorageSchema(sql: Sql): Promise<void> {
  await applyIdempotentSql(sql, new URL('./schema.sql', import.meta.url));
}
