/**
 * The functions' PostgreSQL pool (postgres.js) on SUPABASE_DB_URL.
 *
 * `prepare: false` keeps the functions working behind Supavisor's transaction-mode
 * pooler, where a named prepared statement may land on another server connection.
 * The pool is small: an edge worker serves few concurrent requests and hosted
 * projects have a bounded connection budget.
 */
import postgres, { type Sql } from 'postgres';

export const FUNCTION_DB_OPTIONS = {
  max: 4,
  prepare: false,
  idle_timeout: 20,
  connect_timeout: 10,
  onnotice: () => {},
  connection: { application_name: 'hotwatch-functions' },
} as const;

export function connectDb(url: string): Sql {
  return postgres(url, FUNCTION_DB_OPTIONS);
}
