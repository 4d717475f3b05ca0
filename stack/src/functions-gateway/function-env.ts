import fs from 'node:fs';
import type { StackContext } from '../service-types.ts';
import { readSupabaseConfig, table } from '../supabase-config.ts';

/** dotenv subset: KEY=VALUE lines, optional quotes, # comments. */
function readEnvFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m?.[1] || raw.trimStart().startsWith('#')) continue;
    let v = m[2] ?? '';
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    // The SUPABASE_ prefix is reserved for what the platform injects.
    if (!m[1].startsWith('SUPABASE_')) out[m[1]] = v;
  }
  return out;
}

/**
 * config.toml's [edge_runtime.secrets] (supabase/cli pkg/config: `KEY = "value"`, a
 * value `env(NAME)` read from the environment). Reserved SUPABASE_ names are skipped.
 */
function configSecrets(configFile: string | undefined): Record<string, string> {
  const secrets = table(table(readSupabaseConfig(configFile), 'edge_runtime'), 'secrets') ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secrets)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const text = String(v);
    const ref = /^env\((\w+)\)$/.exec(text);
    const value = ref ? process.env[ref[1]!] : text;
    if (value !== undefined && !k.startsWith('SUPABASE_')) out[k] = value;
  }
  return out;
}

/** What Supabase injects into every function (supabase/cli internal/functions/serve). */
export function functionEnv(ctx: StackContext, envFile: string, configFile: string | undefined): Record<string, string> {
  const { keys } = ctx.config;
  return {
    ...configSecrets(configFile),
    ...readEnvFile(envFile),
    SUPABASE_URL: ctx.apiUrl,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_DB_URL: ctx.dbUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.from(keys.jwtSecret).toString('base64url'), alg: 'HS256' }] }),
  };
}
