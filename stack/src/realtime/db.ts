/**
 * The Realtime server's own connection pool: node-postgres (`pg`) behind the stack's
 * tagged template (postgres/internal-db.ts), db<Row>`select … ${value}` → rows.
 *
 * Why not postgres.js: postgres.js 3.4.9 can throw an uncaught TypeError from a deferred
 * write on a socket that closed meanwhile (porsager/postgres#1154), which takes the
 * process down when PostgreSQL dies under load; the Realtime server must ride out
 * PostgreSQL restarts.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';
import { queryable, type Queryable } from '../postgres/internal-db.ts';
import { guardPoolErrors } from '../postgres/pool-errors.ts';

export interface Db extends Queryable {
  end(): Promise<void>;
}

export function createDb(url: string, log: Logger, max = 6): Db {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'hotwatch-realtime', idleTimeoutMillis: 30_000 });
  guardPoolErrors(pool, log, 'realtime pool');
  const db = queryable((text, params) => pool.query(text, params)) as Db;
  db.end = () => pool.end();
  return db;
}
