import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { bool, readSupabaseConfig, str, table, SUPABASE_CONFIG_PATH, type TomlTable } from '../supabase-config.ts';

/** One servable function, resolved as the Supabase CLI resolves [functions.<name>]. */
export interface FunctionDef {
  name: string;
  /** Absolute path of the entrypoint (.ts/.js/.mjs/.tsx/.jsx). */
  entrypoint: string;
  /** verify_jwt (default true): OPTIONS is never checked. */
  verifyJwt: boolean;
  /** --config file (the function's deno.json/deno.jsonc) or --import-map file, if any. */
  config?: { kind: 'config' | 'import-map'; file: string };
}

/** An extra function for tests (not in supabase/config.toml). */
export interface ExtraFunction {
  name: string;
  entrypoint: string;
  verifyJwt?: boolean;
  /** Defaults to <entrypoint dir>/deno.json when it exists. */
  config?: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;

function denoConfigFor(entrypoint: string, importMap?: string): FunctionDef['config'] {
  if (importMap) return { kind: /deno\.jsonc?$/.test(importMap) ? 'config' : 'import-map', file: importMap };
  for (const f of ['deno.json', 'deno.jsonc']) {
    const p = path.join(path.dirname(entrypoint), f);
    if (fs.existsSync(p)) return { kind: 'config', file: p };
  }
  return undefined;
}

/**
 * [functions.<name>] from supabase/config.toml: `enabled` (default true), `verify_jwt`
 * (default true), `entrypoint` (relative to supabase/, default functions/<name>/index.ts),
 * `import_map`. Plus extra functions passed by tests.
 */
export function loadFunctions(opts: { configFile?: string; extra?: ExtraFunction[] } = {}): Map<string, FunctionDef> {
  const file = opts.configFile ?? SUPABASE_CONFIG_PATH;
  const base = path.dirname(file);
  const fns = table(readSupabaseConfig(file), 'functions') ?? {};
  const out = new Map<string, FunctionDef>();
  for (const [name, raw] of Object.entries(fns)) {
    const t = raw as TomlTable;
    if (!NAME.test(name) || bool(t, 'enabled') === false) continue;
    const entrypoint = path.resolve(base, str(t, 'entrypoint') ?? path.join('functions', name, 'index.ts'));
    const importMap = str(t, 'import_map');
    out.set(name, {
      name, entrypoint, verifyJwt: bool(t, 'verify_jwt') ?? true,
      config: denoConfigFor(entrypoint, importMap ? path.resolve(base, importMap) : undefined),
    });
  }
  for (const x of opts.extra ?? []) {
    const entrypoint = path.resolve(REPO_ROOT, x.entrypoint);
    out.set(x.name, {
      name: x.name, entrypoint, verifyJwt: x.verifyJwt ?? true,
      config: denoConfigFor(entrypoint, x.config ? path.resolve(REPO_ROOT, x.config) : undefined),
    });
  }
  return out;
}
