/**
 * The Realtime server's own connection pool: node-postgres (`pg`) behind a small tagged
 * template, db<Row>`select … ${value}` → parameterized query → rows.
 *
 * Why not postgres.js like the rest of the stack: postgres.js 3.4.9 can throw an
 * uncaught TypeError from a deferred write on a socket that closed meanwhile
 * (porsager/postgres#1154), which takes the process down when PostgreSQL dies under
 * load; the Realtime server must ride out PostgreSQL restarts.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';
import { guardPoolErrors } from '../postgres/pool-errors.ts';

export interface Db {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  /** A statement without parameters (DDL built from trusted names). */
  unsafe(text: string): Promise<void>;
  end(): Promise<void>;
}

export function createDb(url: string, log: Logger, max = 6): Db {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'hotwatch-realtime', idleTimeoutMillis: 30_000 });
  guardPoolErrors(pool, log, 'realtime pool');
  const db = (async <T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> => {
    let text = strings[0] ?? '';
    for (let i = 0; i < values.length; i++) text += `$${i + 1}${strings[i + 1] ?? ''}`;
    const res = await pool.query(text, values);
    return res.rows as T[];
  }) as Db;
  db.unsafe = async (text: string): Promise<void> => { await pool.query(text); };
  db.end = () => pool.end();
  return db;
}
