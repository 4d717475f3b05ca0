import type pg from 'pg';
import { acquisitionTimeout, connectionError, fromPgError, isPgServerError, RestError } from './errors.ts';
import { identList } from './sql-builder.ts';

/**
 * One transaction per request, as PostgREST runs it (MainTx.hs, Query/PreQuery.hs):
 * `BEGIN ISOLATION LEVEL … READ ONLY|READ WRITE`, then one statement of
 * `set_config(…, true)` calls — search_path, the role's settings, `role`,
 * `request.jwt.claims`, `request.method`, `request.path`, `request.headers`,
 * `request.cookies`, the timezone preference and the function's hoisted settings —
 * then the main statement, then COMMIT, or ROLLBACK when the request asked for it
 * (`tx=rollback`) or a check after the main statement condemned the transaction.
 *
 * The first three (and, for a read that needs nothing afterwards, the COMMIT) are
 * pipelined in one write on a `pipeline: true` pg connection: one round trip instead
 * of four, the same statements in the same order.
 */

export interface TxVars {
  schema: string;
  extraSearchPath: string[];
  roleSettings: Array<[string, string]>;
  role: string;
  claimsJson: string;
  method: string;
  path: string;
  headersJson: string;
  cookiesJson: string;
  timezone: string | undefined;
  funcSettings: Array<[string, string]>;
}

export interface TxOptions {
  readOnly: boolean;
  isolation: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  vars: TxVars;
  /** The role is not the anonymous role (42501 → 403 instead of 401). */
  authed: boolean;
}

/** What the body of a transaction decides after its statements ran. */
export type TxOutcome<T> =
  /** Commit, or roll back when `rollback` (tx=rollback); the value is returned either way. */
  | { value: T; rollback?: boolean; fail?: undefined }
  /** Roll back and answer this error instead (singular/max-affected/PUT checks). */
  | { fail: RestError };

export interface MainStatement {
  text: string;
  values: Array<string | null>;
}

/** Distinct tx-settings shapes kept prepared per connection; beyond it they run unnamed. */
export const MAX_PREPARED_TX_SHAPES = 64;
/**
 * Distinct main statements kept prepared per connection, as PostgREST does by default
 * (`db-prepared-statements`): a URL shape is parsed and analysed once per connection,
 * later requests only bind and execute. Values are always parameters, so shapes repeat;
 * beyond the limit statements run unnamed.
 */
export const MAX_PREPARED_MAIN_SHAPES = 1_000;

/** Names of prepared statements by text, one namespace per kind (a name always means one text). */
function namer(prefix: string, limit: number): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < limit) {
      name = `${prefix}${names.size}`;
      names.set(text, name);
    }
    return name;
  };
}
const statementName = namer('pgrst_tx_vars_', MAX_PREPARED_TX_SHAPES);
const mainName = namer('pgrst_main_', MAX_PREPARED_MAIN_SHAPES);

function txVarsQuery(v: TxVars): { text: string; values: string[] } {
  const values: string[] = [];
  const add = (x: string): string => { values.push(x); return `$${values.length}`; };
  const calls: string[] = [`set_config('search_path', ${add(identList([v.schema, ...v.extraSearchPath]))}, true)`];
  // Role settings come before the role, so settings granted to the authenticator can be set.
  for (const [k, val] of v.roleSettings) calls.push(`set_config(${add(k)}, ${add(val)}, true)`);
  calls.push(`set_config('role', ${add(v.role)}, true)`);
  calls.push(`set_config('request.jwt.claims', ${add(v.claimsJson)}, true)`);
  calls.push(`set_config('request.method', ${add(v.method)}, true)`);
  calls.push(`set_config('request.path', ${add(v.path)}, true)`);
  calls.push(`set_config('request.headers', ${add(v.headersJson)}, true)`);
  calls.push(`set_config('request.cookies', ${add(v.cookiesJson)}, true)`);
  if (v.timezone !== undefined) calls.push(`set_config('timezone', ${add(v.timezone)}, true)`);
  for (const [k, val] of v.funcSettings) calls.push(`set_config(${add(k)}, ${add(val)}, true)`);
  return { text: `select ${calls.join(', ')}`, values };
}

async function acquire(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/timeout exceeded when trying to connect/i.test(msg)) throw acquisitionTimeout();
    throw connectionError(msg);
  }
}

/**
 * Run `main` in the request's transaction, then `after` (more statements, checks)
 * and COMMIT/ROLLBACK as it decides. With `commitInPipeline` (read-only work whose
 * outcome cannot need a rollback) the COMMIT goes out with the statements.
 */
export async function inTransaction<T>(
  pool: pg.Pool, opts: TxOptions, main: MainStatement,
  after: (row: Record<string, string | null> | undefined, client: pg.PoolClient, rows: Array<Record<string, string | null>>) => Promise<TxOutcome<T>>,
  commitInPipeline = false,
): Promise<T> {
  const client = await acquire(pool);
  let broken: Error | undefined;
  let ended = false;
  try {
    const vars = txVarsQuery(opts.vars);
    const name = statementName(vars.text);
    const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
    stream?.cork?.();
    const sent: Array<Promise<pg.QueryResult>> = [];
    try {
      sent.push(client.query(`BEGIN ISOLATION LEVEL ${opts.isolation} ${opts.readOnly ? 'READ ONLY' : 'READ WRITE'}`));
      sent.push(client.query(name === undefined ? { text: vars.text, values: vars.values } : { name, text: vars.text, values: vars.values }));
      const named = mainName(main.text);
      sent.push(client.query(named === undefined ? { text: main.text, values: main.values } : { name: named, text: main.text, values: main.values }));
      if (commitInPipeline) sent.push(client.query('COMMIT'));
    } finally {
      stream?.uncork?.();
    }
    const settled = await Promise.allSettled(sent);
    if (commitInPipeline) ended = true;
    const firstError = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (firstError) throw firstError.reason;
    const mainResult = (settled[2] as PromiseFulfilledResult<pg.QueryResult<Record<string, string | null>>>).value;
    const outcome = await after(mainResult.rows[0], client, mainResult.rows);
    if (outcome.fail) {
      if (!ended) { ended = true; await client.query('ROLLBACK'); }
      throw outcome.fail;
    }
    if (!ended) {
      if (outcome.rollback) await client.query('SET CONSTRAINTS ALL IMMEDIATE');
      ended = true;
      await client.query(outcome.rollback ? 'ROLLBACK' : 'COMMIT');
    }
    return outcome.value;
  } catch (e) {
    if (!ended) await client.query('ROLLBACK').catch(() => {});
    if (e instanceof RestError) throw e;
    if (isPgServerError(e)) throw fromPgError(e, opts.authed);
    broken = e instanceof Error ? e : new Error(String(e));
    throw connectionError(broken.message);
  } finally {
    client.release(broken);
  }
}
