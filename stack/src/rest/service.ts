import pg from 'pg';
import { guardPoolErrors } from '../postgres/pool-errors.ts';
import type { ServiceFactory } from '../service-types.ts';
import { JwtVerifier } from './auth.ts';
import { loadRestConfig } from './config.ts';
import { applyDbSettings, HONOURED_DB_SETTINGS, queryDbSettings } from './db-config.ts';
import type { RestContext } from './handlers/context.ts';
import { restFetchHandler } from './mount.ts';
import { DDL_WATCH_SQL, loadSchemaCache, SchemaCacheHolder } from './schema-cache.ts';

/**
 * `/rest/v1`: a PostgREST v14-compatible API over the exposed schemas, connected as
 * `authenticator` (as Supabase's PostgREST is) and switching to the request's role
 * inside each transaction.
 */

/** The password the bootstrap gives `authenticator` (Supabase CLI local default). */
export const AUTHENTICATOR_PASSWORD = 'postgres';
/** Delay before re-establishing the LISTEN connection after it drops. */
export const LISTEN_RETRY_MS = 1_000;

export function authenticatorUrl(dbUrl: string): string {
  const u = new URL(dbUrl);
  u.username = 'authenticator';
  u.password = AUTHENTICATOR_PASSWORD;
  return u.toString();
}

/** Values come back as PostgreSQL's text: JSON bodies are passed through byte for byte. */
const RAW_TYPES = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export const startRest: ServiceFactory = async (sctx) => {
  const fileConfig = loadRestConfig();
  // Mutated in place on `reload config`: handlers read it per request.
  const config = { ...fileConfig };
  const url = authenticatorUrl(sctx.dbUrl);
  const pool = new pg.Pool({
    connectionString: url, max: config.poolSize, connectionTimeoutMillis: config.poolAcquisitionTimeoutMs,
    idleTimeoutMillis: 30_000, application_name: 'postgrest', types: RAW_TYPES,
    // pg ≥ 8.20: queries queued on a client are written without waiting for the previous one (typings lag).
    ...({ pipeline: true } as object),
  });
  guardPoolErrors(pool, sctx.log, 'REST pool');

  // Supabase installs these event triggers so PostgREST reloads after DDL.
  await sctx.sql.unsafe(DDL_WATCH_SQL);

  /** In-database configuration (`pgrst.*` role settings) over the file's, as PostgREST reads it. */
  const reloadConfig = async (): Promise<void> => {
    try {
      const client = await pool.connect();
      try {
        const settings = await queryDbSettings(client);
        Object.assign(config, applyDbSettings(fileConfig, settings));
        const ignored = [...settings.keys()].filter((k) => !(HONOURED_DB_SETTINGS as readonly string[]).includes(k)
          || (k === 'db_tx_end' && settings.get(k)?.trim().startsWith('rollback')));
        if (ignored.length) sctx.log.warn('REST: in-database settings PostgREST reads but this REST does not honour (docs/rest.md)', { ignored: ignored.map((k) => `pgrst.${k}`) });
      } finally {
        client.release();
      }
    } catch (e) {
      sctx.log.warn('REST: could not read the in-database configuration; keeping the previous one', { error: String(e) });
    }
  };
  await reloadConfig();

  const cache = new SchemaCacheHolder(async () => {
    const client = await pool.connect();
    try {
      return await loadSchemaCache(client, config.dbSchemas, config.dbExtraSearchPath, config.hoistedTxSettings);
    } finally {
      client.release();
    }
  }, sctx.log);
  await cache.reload();
  if (!cache.current) throw new Error('REST: could not load the schema cache');

  let stopping = false;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let listenFailing = false;
  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url, application_name: 'postgrest-listener' });
    const reconnect = (): void => {
      if (stopping || listener !== client) return;
      listener = undefined;
      client.end().catch(() => {});
      retry = setTimeout(() => { void listen(); }, LISTEN_RETRY_MS);
    };
    listener = client;
    client.on('error', reconnect);
    client.on('end', reconnect);
    client.on('notification', (msg) => {
      if (msg.channel !== 'pgrst') return;
      const payload = msg.payload ?? '';
      if (payload === '' || payload === 'reload schema') void cache.reload();
      else if (payload === 'reload config') void reloadConfig();
    });
    try {
      await client.connect();
      await client.query('LISTEN pgrst');
      void cache.reload(); // changes made while the listener was down
      void reloadConfig();
    } catch (e) {
      // Once per outage, not every second while PostgreSQL is down.
      if (!listenFailing) sctx.log.warn(`LISTEN pgrst failed; retrying every ${LISTEN_RETRY_MS} ms`, { error: String(e) });
      listenFailing = true;
      reconnect();
      return;
    }
    if (listenFailing) sctx.log.info('LISTEN pgrst re-established');
    listenFailing = false;
  };
  await listen();

  const ctx: RestContext = { config, pool, cache, log: sctx.log };
  const jwt = new JwtVerifier(sctx.config.keys.jwtSecret, config.dbAnonRole);

  return {
    name: 'rest',
    mounts: [{ prefix: '/rest/v1', fetch: restFetchHandler(ctx, jwt) }],
    async stop() {
      stopping = true;
      if (retry) clearTimeout(retry);
      const l = listener;
      listener = undefined;
      await l?.end().catch(() => {});
      await cache.close();
      await pool.end();
    },
  };
};
