/**
 * Each edge function deploys unchanged to Supabase (node_modules is not uploaded):
 *  - every import reachable from functions/<name>/index.ts is relative, `node:`, or a
 *    bare specifier its deno.json maps to a pinned `npm:` specifier;
 *  - `deno check` passes against Supabase's edge-runtime types;
 *  - configuration is read only in index.ts, only from the env vars Supabase injects
 *    (plus the documented optional HOTWATCH_LLM_*, HOTWATCH_ALLOW_PRIVATE_TARGETS,
 *    HOTWATCH_DASHBOARD_URL, HOTWATCH_MAIL_* and the scan schedule's HOTWATCH_SCAN_*), by literal name.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FUNCTIONS = path.join(ROOT, 'functions');
const NAMES = fs.readdirSync(FUNCTIONS).filter((n) => !n.startsWith('_') && fs.existsSync(path.join(FUNCTIONS, n, 'index.ts')));

const SUPABASE_ENV = ['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL', 'SUPABASE_PUBLISHABLE_KEYS', 'SUPABASE_SECRET_KEYS', 'SUPABASE_JWKS'];
const OPTIONAL_ENV = ['HOTWATCH_LLM_URL', 'HOTWATCH_LLM_MODEL', 'HOTWATCH_LLM_API_KEY', 'HOTWATCH_LLM_TIMEOUT_MS',
  'HOTWATCH_ALLOW_PRIVATE_TARGETS', 'HOTWATCH_DASHBOARD_URL', 'HOTWATCH_MAIL_URL', 'HOTWATCH_MAIL_API_KEY', 'HOTWATCH_MAIL_FROM',
  'HOTWATCH_SCAN_CONCURRENCY', 'HOTWATCH_SCAN_ROUND_BUDGET_MS', 'HOTWATCH_SCAN_MIN_INTERVAL_MS'];

function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const re of [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of code.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

/** Files reachable from an entry through relative imports, with their bare/node specifiers. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const specs = specifiers(fs.readFileSync(file, 'utf8'));
    seen.set(file, specs.filter((s) => !s.startsWith('.')));
    for (const s of specs.filter((x) => x.startsWith('.'))) {
      const target = path.resolve(path.dirname(file), s);
      if (!target.endsWith('.ts')) throw new Error(`${path.relative(ROOT, file)}: relative import without .ts: ${s}`);
      if (!fs.existsSync(target)) throw new Error(`${path.relative(ROOT, file)}: missing ${s}`);
      todo.push(target);
    }
  }
  return seen;
}

function denoJson(name: string): { imports?: Record<string, string>; nodeModulesDir?: string; lock?: boolean; compilerOptions?: { types?: string[] } } {
  return JSON.parse(fs.readFileSync(path.join(FUNCTIONS, name, 'deno.json'), 'utf8'));
}

describe('edge functions are deployable as they are', () => {
  it('has the three functions, each with a deno.json', () => {
    expect(NAMES.sort()).toEqual(expect.arrayContaining(['decisions', 'hotspot-scan', 'ingest-events']));
    for (const n of NAMES) {
      const d = denoJson(n);
      expect(d.nodeModulesDir, n).toBe('manual');
      expect(d.lock, n).toBe(false);
      for (const t of d.compilerOptions?.types ?? []) expect(fs.existsSync(path.resolve(FUNCTIONS, n, t)), `${n}: ${t}`).toBe(true);
    }
  });

  for (const name of NAMES) {
    it(`${name}: every import is relative, node:, or mapped to a pinned npm: specifier`, () => {
      const map = denoJson(name).imports ?? {};
      for (const [k, v] of Object.entries(map)) expect(v, `${name}: ${k}`).toMatch(/^npm:(@[^/]+\/)?[^@/]+@\d+\.\d+\.\d+(\/.*)?$/);
      const bad: string[] = [];
      for (const [file, specs] of graph(path.join(FUNCTIONS, name, 'index.ts'))) {
        for (const s of specs) {
          if (s.startsWith('node:')) continue;
          const mapped = Object.keys(map).some((k) => s === k || (k.endsWith('/') && s.startsWith(k)));
          if (!mapped) bad.push(`${path.relative(ROOT, file)}: ${s}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it(`${name}: reads configuration only in index.ts, only Supabase-injected (or documented optional) env vars`, () => {
      const problems: string[] = [];
      for (const file of graph(path.join(FUNCTIONS, name, 'index.ts')).keys()) {
        const src = fs.readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
        const rel = path.relative(ROOT, file);
        if (/process\.env/.test(src)) problems.push(`${rel}: process.env`);
        const uses = [...src.matchAll(/Deno\.env\b(\.\w+)?(\(\s*(['"])?([^'")]*)\3?\s*\))?/g)];
        if (uses.length && path.basename(file) !== 'index.ts') problems.push(`${rel}: Deno.env outside index.ts`);
        for (const u of uses) {
          const [, method, , quote, arg] = u;
          if (method !== '.get' || !quote) { problems.push(`${rel}: ${u[0]}`); continue; }
          if (!SUPABASE_ENV.includes(arg!) && !OPTIONAL_ENV.includes(arg!)) problems.push(`${rel}: reads ${arg}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('type-checks every function with deno check against the edge-runtime types', { timeout: 240_000 }, async () => {
    const run = promisify(execFile);
    const deno = path.join(ROOT, 'node_modules', '.bin', 'deno');
    const results = await Promise.all(NAMES.map(async (name) => {
      try {
        await run(deno, ['check', '--config', `functions/${name}/deno.json`, `functions/${name}/index.ts`], {
          cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, timeout: 180_000,
        });
        return null;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        return `${name}:\n${err.stdout ?? ''}${err.stderr ?? ''}`;
      }
    }));
    expect(results.filter((r) => r !== null)).toEqual([]);
  });
});
