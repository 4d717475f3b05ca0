/**
 * The stack's own long-lived connections (the pg_cron and pg_net workers, Auth) on
 * node-postgres behind a small tagged template: db<Row>`select … ${value}` →
 * parameterized query → rows.
 *
 * Why not postgres.js (the admin pool `stack.sql` tests use): postgres.js 3.4.9 can
 * throw an uncaught TypeError from a write on a socket that closed meanwhile
 * (porsager/postgres#1154, #1208 — e.g. the ROLLBACK `begin()` sends after its query
 * failed because PostgreSQL died), which takes the whole stack process down. These
 * workers query every second, so a PostgreSQL crash would hit that window.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';
import { guardPoolErrors } from './pool-errors.ts';

/** Connection attempts give up after this long (pg waits forever by default). */
const CONNECT_TIMEOUT_MS = 10_000;
/** A lost LISTEN connection is re-established this long after it dropped. */
const RELISTEN_DELAY_MS = 1_000;

export interface Listener { unlisten(): Promise<void> }

/** Tagged-template and text queries, on the pool or inside one transaction. */
export interface Queryable {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  /** A query built from trusted text with `$n` parameters. */
  unsafe<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface InternalDb extends Queryable {
  /**
   * Run `fn` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when
   * it throws. A connection whose ROLLBACK failed (PostgreSQL gone) is discarded.
   */
  begin<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a dedicated connection that comes back by itself after PostgreSQL
   * restarts; `onNotify` also runs after each re-LISTEN (notifications sent while it
   * was down are lost).
   */
  listen(channel: string, onNotify: () => void): Listener;
  end(): Promise<void>;
}

/** A client that can never raise an uncaught `error` (a FATAL between queries, a reset socket). */
export function internalClient(url: string, applicationName: string, onError: (e: Error) => void): pg.Client {
  const client = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', onError);
  return client;
}

export function createInternalDb(url: string, log: Logger, opts: { max?: number; applicationName?: string } = {}): InternalDb {
  const applicationName = opts.applicationName ?? 'hotwatch-stack';
  const pool = guardPoolErrors(new pg.Pool({
    connectionString: url, max: opts.max ?? 4, application_name: applicationName,
    idleTimeoutMillis: 30_000, connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  }), log, applicationName);
  const listeners = new Set<Listener>();

  const db = queryable((text, params) => pool.query(text, params)) as InternalDb;
  db.begin = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const out = await fn(queryable((text, params) => client.query(text, params)));
      await client.query('commit');
      return out;
    } catch (e) {
      await client.query('rollback').catch((r: unknown) => { broken = r instanceof Error ? r : new Error(String(r)); });
      throw e;
    } finally {
      client.release(broken);
    }
  };

  db.listen = (channel, onNotify) => {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let lastWarn = 0;
    const dropped = (e?: Error): void => {
      const c = client;
      client = undefined;
      void c?.end().catch(() => {});
      if (stopped || retry) return;
      // While PostgreSQL is down every attempt fails; say so every 10 s, not every second.
      if (e && Date.now() - lastWarn > 10_000) { lastWarn = Date.now(); log.warn(`LISTEN ${channel} lost; re-listening`, { error: e.message }); }
      retry = setTimeout(() => { retry = undefined; void connect(); }, RELISTEN_DELAY_MS);
    };
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const c = internalClient(url, applicationName, (e) => { if (client === c) dropped(e); });
      c.on('end', () => { if (client === c) dropped(new Error('connection ended')); });
      c.on('notification', (m) => { if (m.channel === channel) onNotify(); });
      client = c;
      try {
        await c.connect();
        await c.query(`listen "${channel.replaceAll('"', '""')}"`);
        if (client === c) onNotify();
      } catch (e) {
        if (client === c) dropped(e as Error);
      }
    };
    const listener: Listener = {
      async unlisten() {
        stopped = true;
        listeners.delete(listener);
        if (retry) clearTimeout(retry);
        const c = client;
        client = undefined;
        await c?.end().catch(() => {});
      },
    };
    listeners.add(listener);
    void connect();
    return listener;
  };

  db.end = async () => {
    await Promise.all([...listeners].map((l) => l.unlisten()));
    await pool.end();
  };
  return db;
}

/** A Queryable over anything that runs text with `$n` parameters (a pool, one client). */
export function queryable(run: (text: string, params: unknown[]) => Promise<pg.QueryResult>): Queryable {
  const q = (async <T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> => {
    let text = strings[0] ?? '';
    for (let i = 0; i < values.length; i++) text += `$${i + 1}${strings[i + 1] ?? ''}`;
    return (await run(text, values)).rows as T[];
  }) as Queryable;
  q.unsafe = async <T>(text: string, params: unknown[] = []): Promise<T[]> => (await run(text, params)).rows as T[];
  return q;
}
