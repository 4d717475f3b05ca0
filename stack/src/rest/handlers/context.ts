import type pg from 'pg';
import type { Logger } from '../../log.ts';
import type { RestConfig } from '../config.ts';
import { buildReadPlan, type PlanInput, type ReadNode } from '../embed-plan.ts';
import { noSchemaCache, RestError, tableNotFound } from '../errors.ts';
import { closest } from '../fuzzy.ts';
import { qiKey, type SchemaCache, type SchemaCacheHolder, type Table } from '../schema-cache.ts';

/** What every handler gets. */
export interface RestContext {
  config: RestConfig;
  pool: pg.Pool;
  cache: SchemaCacheHolder;
  log: Logger;
}

export function currentCache(ctx: RestContext): SchemaCache {
  const c = ctx.cache.current;
  if (!c) throw noSchemaCache();
  return c;
}

/** The table/view, refreshing the cache once if it is unknown (DDL may have just committed). */
export async function findTable(ctx: RestContext, schema: string, name: string): Promise<Table> {
  let cache = currentCache(ctx);
  let t = cache.tables.get(qiKey(schema, name));
  if (!t) {
    cache = (await ctx.cache.refreshAfterMiss()) ?? cache;
    t = cache.tables.get(qiKey(schema, name));
  }
  if (!t) {
    const names = [...cache.tables.values()].filter((x) => x.schema === schema).map((x) => x.name);
    const hint = closest(name, names);
    throw tableNotFound(schema, name, hint ? `Perhaps you meant the table '${schema}.${hint}'` : null);
  }
  return t;
}

/**
 * The read plan. A relationship the cache does not know (PGRST200) refreshes the cache once
 * first, as an unknown table does: a foreign key that just committed is found without a race.
 */
export async function planRead(ctx: RestContext, planInput: Omit<PlanInput, 'cache' | 'aggregatesEnabled'>): Promise<{ plan: ReadNode; cache: SchemaCache }> {
  const cache = currentCache(ctx);
  const input = { ...planInput, aggregatesEnabled: ctx.config.aggregatesEnabled };
  try {
    return { plan: buildReadPlan({ ...input, cache }), cache };
  } catch (e) {
    if (!(e instanceof RestError) || e.body.code !== 'PGRST200') throw e;
    const fresh = await ctx.cache.refreshAfterMiss();
    if (!fresh || fresh === cache) throw e;
    return { plan: buildReadPlan({ ...input, cache: fresh }), cache: fresh };
  }
}
