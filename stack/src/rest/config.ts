import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';

/**
 * REST settings, named as PostgREST names them, with the values the Supabase CLI
 * passes it (`supabase/config.toml` [api]: schemas, extra_search_path, max_rows).
 */
export interface RestConfig {
  /** db-schemas: exposed schemas; the first is the default profile. */
  dbSchemas: string[];
  /** db-extra-search-path: appended to the request schema in search_path. */
  dbExtraSearchPath: string[];
  /** db-max-rows: reads (tables and rpc) never return more rows than this. */
  dbMaxRows: number | null;
  /** db-anon-role: the role of requests without a token. */
  dbAnonRole: string;
  /** db-tx-end allows `Prefer: tx=rollback` (commit-allow-override). */
  txAllowOverride: boolean;
  /** db-aggregates-enabled (off on Supabase). */
  aggregatesEnabled: boolean;
  /** db-plan-enabled: `Accept: application/vnd.pgrst.plan…` answers EXPLAIN output (off on Supabase). */
  planEnabled: boolean;
  /** db-hoisted-tx-settings: function settings applied as transaction settings. */
  hoistedTxSettings: string[];
  /** Connections in the pool (PostgREST's db-pool). */
  poolSize: number;
  /** Milliseconds to wait for a pooled connection (db-pool-acquisition-timeout, 10 s). */
  poolAcquisitionTimeoutMs: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Emulate pg-safeupdate (preloaded for `authenticator` on Supabase): UPDATE/DELETE need a filter. */
  safeUpdate: boolean;
}

export const DEFAULT_REST_CONFIG: RestConfig = {
  dbSchemas: ['public', 'graphql_public'],
  dbExtraSearchPath: ['public', 'extensions'],
  dbMaxRows: 1000,
  dbAnonRole: 'anon',
  txAllowOverride: true,
  aggregatesEnabled: false,
  planEnabled: false,
  hoistedTxSettings: ['statement_timeout', 'plan_filter.statement_cost_limit', 'default_transaction_isolation'],
  poolSize: 10,
  poolAcquisitionTimeoutMs: 10_000,
  maxBodyBytes: 10 * 1024 * 1024,
  safeUpdate: true,
};

function tomlArray(raw: string): string[] | undefined {
  const m = /^\[(.*)\]$/s.exec(raw.trim());
  if (!m) return undefined;
  return [...(m[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1] ?? '');
}

/** The [api] keys of supabase/config.toml that configure PostgREST on Supabase. */
export function loadRestConfig(configToml = path.join(REPO_ROOT, 'supabase', 'config.toml')): RestConfig {
  const cfg: RestConfig = { ...DEFAULT_REST_CONFIG };
  let text: string;
  try { text = fs.readFileSync(configToml, 'utf8'); } catch { return cfg; }
  let section = '';
  for (const line of text.split('\n')) {
    const trimmed = line.replace(/#.*$/, '').trim();
    const sec = /^\[([^\]]+)\]$/.exec(trimmed);
    if (sec) { section = sec[1] ?? ''; continue; }
    if (section !== 'api') continue;
    const kv = /^([a-z_]+)\s*=\s*(.+)$/.exec(trimmed);
    if (!kv) continue;
    const [, key, value = ''] = kv;
    if (key === 'schemas') cfg.dbSchemas = tomlArray(value) ?? cfg.dbSchemas;
    else if (key === 'extra_search_path') cfg.dbExtraSearchPath = tomlArray(value) ?? cfg.dbExtraSearchPath;
    else if (key === 'max_rows' && /^\d+$/.test(value.trim())) cfg.dbMaxRows = Number(value.trim());
  }
  return cfg;
}
