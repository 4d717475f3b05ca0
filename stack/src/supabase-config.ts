import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';

/**
 * Reader for supabase/config.toml — the same file the Supabase CLI reads — in the TOML
 * subset it uses: [tables] and [dotted.tables], `key = value` with strings, numbers,
 * booleans and one-line arrays, comments. Shared by auth (hook, JWT expiry, refresh
 * rotation) and the functions gateway ([functions.<name>]).
 */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable { [key: string]: TomlValue }

export const SUPABASE_CONFIG_PATH = path.join(REPO_ROOT, 'supabase', 'config.toml');

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) { if (c === '\\' && quote === '"') i++; else if (c === quote) quote = undefined; }
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function splitKey(key: string): string[] {
  return key.split('.').map((k) => k.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
}

function parseValue(raw: string, where: string): TomlValue {
  const v = raw.trim();
  if (v.startsWith('"')) return JSON.parse(v) as string;
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return Number(v.replaceAll('_', ''));
  if (v.startsWith('[') && v.endsWith(']')) {
    const inner = v.slice(1, -1).trim();
    if (inner === '') return [];
    const items: string[] = [];
    let depth = 0; let quote: string | undefined; let start = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (quote) { if (c === '\\' && quote === '"') i++; else if (c === quote) quote = undefined; continue; }
      if (c === '"' || c === "'") quote = c;
      else if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === ',' && depth === 0) { items.push(inner.slice(start, i)); start = i + 1; }
    }
    items.push(inner.slice(start));
    return items.map((s) => s.trim()).filter((s) => s !== '').map((s) => parseValue(s, where));
  }
  throw new Error(`config.toml: unsupported value ${JSON.stringify(v)} at ${where}`);
}

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let table = root;
  text.split(/\r?\n/).forEach((rawLine, n) => {
    const line = stripComment(rawLine).trim();
    if (line === '') return;
    const header = /^\[([^[\]]+)\]$/.exec(line);
    if (header?.[1]) {
      table = root;
      for (const k of splitKey(header[1])) {
        const next = table[k];
        if (next === undefined) table = (table[k] = {});
        else if (typeof next === 'object' && !Array.isArray(next)) table = next;
        else throw new Error(`config.toml line ${n + 1}: ${k} is not a table`);
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`config.toml line ${n + 1}: expected key = value`);
    const keys = splitKey(line.slice(0, eq));
    let t = table;
    for (const k of keys.slice(0, -1)) {
      const next = t[k];
      t = typeof next === 'object' && !Array.isArray(next) ? next : (t[k] = {});
    }
    t[keys[keys.length - 1] ?? ''] = parseValue(line.slice(eq + 1), `line ${n + 1}`);
  });
  return root;
}

export function readSupabaseConfig(file = SUPABASE_CONFIG_PATH): TomlTable {
  return parseToml(fs.readFileSync(file, 'utf8'));
}

/** Typed accessors over a parsed table. */
export function table(t: TomlTable | undefined, key: string): TomlTable | undefined {
  const v = t?.[key];
  return typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
export function str(t: TomlTable | undefined, key: string): string | undefined {
  const v = t?.[key];
  return typeof v === 'string' ? v : undefined;
}
export function num(t: TomlTable | undefined, key: string): number | undefined {
  const v = t?.[key];
  return typeof v === 'number' ? v : undefined;
}
export function bool(t: TomlTable | undefined, key: string): boolean | undefined {
  const v = t?.[key];
  return typeof v === 'boolean' ? v : undefined;
}
