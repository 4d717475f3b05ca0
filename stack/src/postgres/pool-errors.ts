/**
 * node-postgres' Pool listens for `error` only on idle clients; a checked-out client
 * that receives a FATAL between queries (PostgreSQL shutting down or killed: 57P01)
 * emits `error` with no listener, which is an uncaught exception that takes the whole
 * stack down. Every client gets a permanent listener instead: the in-flight query
 * still rejects, the release with that error discards the client, and the pool
 * reconnects on the next checkout.
 */
import type pg from 'pg';
import type { Logger } from '../log.ts';

/** The same error from several clients of one pool (PostgreSQL died under all of them) is said once per this window. */
const REPEAT_WINDOW_MS = 10_000;

export function guardPoolErrors(pool: pg.Pool, log: Logger, name: string): pg.Pool {
  const said = new Map<string, number>();
  const warn = (e: Error): void => {
    // Ending the pool (a stop) closes its clients while PostgreSQL may already be shutting down:
    // pg-pool drops a client from its list before the client's own end completes, so its end
    // can race PostgreSQL's "terminating connection due to administrator command". Expected then.
    if (pool.ending) return;
    const now = Date.now();
    if (now - (said.get(e.message) ?? -Infinity) < REPEAT_WINDOW_MS) return;
    if (said.size > 100) said.clear();
    said.set(e.message, now);
    log.warn(`${name} connection error`, { code: 'PoolConnectionError', error: e.message });
  };
  pool.on('error', warn);
  pool.on('connect', (client) => { client.on('error', warn); });
  return pool;
}
