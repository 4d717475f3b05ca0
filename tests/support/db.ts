import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';

/** A superuser connection to the test database (closed by the caller's afterAll). */
export function adminSql(max = 4): Sql {
  return postgres(inject('stack').dbUrl, { max, onnotice: () => {} });
}

/**
 * Run fn in a transaction as `role` with the given JWT claims, exactly as PostgREST
 * and Realtime set them (SET LOCAL role + request.jwt.claims), then roll back.
 */
export async function asRole<T>(sql: Sql, role: 'anon' | 'authenticated' | 'service_role', claims: Record<string, unknown>,
  fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Error('rollback');
  try {
    await sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify({ ...claims, role })}, true)`;
      result = await fn(tx);
      throw rollback;
    });
  } catch (e) {
    if (e !== rollback) throw e;
  }
  return result as T;
}
