import type pg from 'pg';
import type { RestConfig } from './config.ts';

/**
 * PostgREST's in-database configuration (Config/Database.hs `queryDbSettings`): the
 * `pgrst.*` settings of the role it connects as (`alter role authenticator set
 * pgrst.db_aggregates_enabled = 'true'`), a database-specific setting winning over a
 * role-wide one; a setting on the database alone has no effect. Read at start and on
 * `NOTIFY pgrst, 'reload config'`; values override the file configuration.
 */

/** The names PostgREST v14 reads (dbSettingsNames). */
export const DB_SETTING_NAMES = [
  'db_aggregates_enabled', 'client_error_verbosity', 'db_anon_role', 'db_pre_config', 'db_extra_search_path',
  'db_max_rows', 'db_plan_enabled', 'db_pre_request', 'db_prepared_statements', 'db_root_spec', 'db_schemas',
  'db_timezone_enabled', 'db_tx_end', 'db_hoisted_tx_settings', 'jwt_aud', 'jwt_role_claim_key', 'jwt_secret',
  'jwt_secret_is_base64', 'jwt_cache_max_lifetime', 'openapi_mode', 'openapi_security_active',
  'openapi_server_proxy_uri', 'server_cors_allowed_origins', 'server_trace_header', 'server_timing_enabled',
].map((n) => `pgrst.${n}`);

/** queryDbSettings without a db-pre-config function. */
export const DB_SETTINGS_SQL = `WITH
role_setting AS (
  SELECT setdatabase as database,
         unnest(setconfig) as setting
  FROM pg_catalog.pg_db_role_setting
  WHERE setrole = CURRENT_USER::regrole::oid
    AND setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = CURRENT_CATALOG))
),
kv_settings AS (
  SELECT database,
         substr(setting, 1, strpos(setting, '=') - 1) as k,
         substr(setting, strpos(setting, '=') + 1) as v
  FROM role_setting
)
SELECT DISTINCT ON (key)
       replace(k, 'pgrst.', '') AS key,
       v AS value
FROM kv_settings
WHERE k = ANY($1) AND v IS NOT NULL
ORDER BY key, database DESC NULLS LAST`;

export async function queryDbSettings(client: pg.ClientBase): Promise<Map<string, string>> {
  const r = await client.query<{ key: string; value: string }>(DB_SETTINGS_SQL, [DB_SETTING_NAMES]);
  return new Map(r.rows.map((row) => [row.key, row.value]));
}

/** Config.hs `coerceBool`: the letters title-cased read as True/False (`true`, `TRUE`, `"true"`), else an integer > 0. */
export function coerceBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const letters = v.replace(/[^\p{L}]/gu, '').toLowerCase();
  if (letters === 'true') return true;
  if (letters === 'false') return false;
  return /^-?\d+$/.test(v) ? Number(v) > 0 : undefined;
}

/** Settings read here; the rest of DB_SETTING_NAMES are PostgREST's but not honoured (docs/rest.md). */
export const HONOURED_DB_SETTINGS = ['db_aggregates_enabled', 'db_plan_enabled', 'db_max_rows', 'db_tx_end'] as const;

/** The file configuration with the in-database settings applied over it. */
export function applyDbSettings(base: RestConfig, settings: Map<string, string>): RestConfig {
  const cfg: RestConfig = { ...base };
  cfg.aggregatesEnabled = coerceBool(settings.get('db_aggregates_enabled')) ?? base.aggregatesEnabled;
  cfg.planEnabled = coerceBool(settings.get('db_plan_enabled')) ?? base.planEnabled;
  const maxRows = settings.get('db_max_rows')?.trim();
  if (maxRows !== undefined && /^\d+$/.test(maxRows)) cfg.dbMaxRows = Number(maxRows);
  const txEnd = settings.get('db_tx_end')?.trim();
  if (txEnd === 'commit') cfg.txAllowOverride = false;
  else if (txEnd === 'commit-allow-override') cfg.txAllowOverride = true;
  return cfg;
}
