import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_KEYS, type StackKeys } from './keys.ts';
import type { RealtimeOverrides } from './realtime/constants.ts';

/** Repository root (stack/src/config.ts → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StackConfig {
  /** Persistent PostgreSQL data directory (git-ignored). */
  dataDir: string;
  /** Host every service binds to. */
  host: string;
  /** API gateway port (Supabase CLI default 54321). */
  apiPort: number;
  /** PostgreSQL port (Supabase CLI default 54322). */
  dbPort: number;
  /** Mail catcher web page + Mailpit API port (Supabase CLI's inbucket/Mailpit default 54324). */
  mailPort: number;
  /** Mail catcher SMTP port (Supabase CLI default 54325); Auth sends here. */
  smtpPort: number;
  /** supabase/config.toml to read ([auth] settings); tests point it at a variant. */
  supabaseConfigPath?: string;
  dbUser: string;
  dbPassword: string;
  dbName: string;
  keys: StackKeys;
  /** Wipe the data directory before starting. */
  fresh: boolean;
  /** Run the seed files after migrations on a new database. */
  seed: boolean;
  /** Drop info lines (tests); warnings and errors are still logged. */
  quiet: boolean;
  /** Write the log (every line, info included) to this file instead of the terminal (tests). */
  logFile?: string;
  /** PostgreSQL in a process group of its own, so a terminal's Ctrl-C reaches only the stack (`npm start`; see postgres/embedded.ts). */
  postgresOwnProcessGroup?: boolean;
  /** Realtime limits and timings (stack/src/realtime/constants.ts; env HOTWATCH_REALTIME_*). */
  realtime?: RealtimeOverrides;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return n;
}

/** Defaults as the Supabase CLI's, each overridable by env var or option. */
export function resolveConfig(overrides: Partial<StackConfig> = {}): StackConfig {
  return {
    dataDir: path.resolve(REPO_ROOT, process.env.HOTWATCH_DATA_DIR ?? '.data/postgres'),
    host: process.env.HOTWATCH_HOST ?? '127.0.0.1',
    apiPort: intFromEnv('HOTWATCH_API_PORT', 54321),
    dbPort: intFromEnv('HOTWATCH_DB_PORT', 54322),
    mailPort: intFromEnv('HOTWATCH_MAIL_PORT', 54324),
    smtpPort: intFromEnv('HOTWATCH_SMTP_PORT', 54325),
    dbUser: process.env.HOTWATCH_DB_USER ?? 'postgres',
    dbPassword: process.env.HOTWATCH_DB_PASSWORD ?? 'postgres',
    dbName: 'postgres',
    keys: DEFAULT_KEYS,
    fresh: false,
    seed: true,
    quiet: false,
    ...overrides,
  };
}

export function dbUrl(cfg: Pick<StackConfig, 'dbUser' | 'dbPassword' | 'host' | 'dbPort' | 'dbName'>): string {
  return `postgresql://${encodeURIComponent(cfg.dbUser)}:${encodeURIComponent(cfg.dbPassword)}@${cfg.host}:${cfg.dbPort}/${cfg.dbName}`;
}

export function mailUrl(cfg: Pick<StackConfig, 'host' | 'mailPort'>): string {
  return `http://${cfg.host}:${cfg.mailPort}`;
}

export function apiUrl(cfg: Pick<StackConfig, 'host' | 'apiPort'>): string {
  return `http://${cfg.host}:${cfg.apiPort}`;
}
