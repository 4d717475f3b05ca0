/**
 * The functions' layout rule (docs/architecture.md): pure rules apart from storage.
 * Files under functions/<name>/rules/ and the pure shared modules do no I/O — no SQL
 * client, no network, no Deno/Node globals — so they are tested by tables in-process;
 * SQL statements live only in functions/<name>/store/ and the shared audit and
 * account-status helpers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FUNCTIONS = path.join(ROOT, 'functions');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const rel = (p: string): string => path.relative(FUNCTIONS, p).split(path.sep).join('/');
const code = (p: string): string => fs.readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const PURE_SHARED = /^_shared\/(detection\/.*|geojson|vocabulary|validation|contract|rows|database\.types)\.ts$/;
const IO = [
  { what: 'the SQL client', re: /from\s+['"]postgres['"]/ },
  { what: 'a SQL statement', re: /\b(sql|tx)\s*(<[^;]*?>)?\s*`/ },
  { what: 'the network', re: /\bfetch\s*\(/ },
  { what: 'Deno globals', re: /\bDeno\./ },
  { what: 'Node built-ins', re: /from\s+['"]node:/ },
];

function pureFiles(): string[] {
  return tsFiles(FUNCTIONS).filter((f) => /^[^_][^/]*\/rules\//.test(rel(f)) || PURE_SHARED.test(rel(f)));
}

describe('pure rules apart from storage', () => {
  it('finds the rules of every function that has them', () => {
    const dirs = new Set(pureFiles().map((f) => rel(f).split('/')[0]));
    expect([...dirs].sort()).toEqual(expect.arrayContaining(['_shared', 'decisions', 'hotspot-scan']));
  });

  it('rules/ and the pure shared modules do no I/O', () => {
    const problems: string[] = [];
    for (const f of pureFiles()) {
      const src = code(f);
      for (const { what, re } of IO) if (re.test(src)) problems.push(`${rel(f)}: uses ${what}`);
    }
    expect(problems).toEqual([]);
  });

  it('SQL statements run only in store/ modules and the shared audit and account-status helpers', () => {
    const SQL_HOME = /^([^_][^/]*\/store\/.*|_shared\/(audit|account-status))\.ts$/;
    const outside = tsFiles(FUNCTIONS)
      .filter((f) => !SQL_HOME.test(rel(f)) && IO[1]!.re.test(code(f)))
      .map(rel);
    expect(outside).toEqual([]);
  });
});
