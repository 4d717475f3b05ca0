/**
 * Postgres Changes bindings and their `filter` strings, parsed as Supabase Realtime's
 * subscriptions.ex does (`col=op.value`, `not.` prefix, comma-separated AND, PostgREST
 * double quoting, `in.(a,b)`), and evaluated in process with PostgreSQL's semantics for
 * the column type (both sides "cast" to it; NULL never matches).
 */
import { parseArrayLiteral, type PgType } from './pg-values.ts';

export const FILTER_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'like', 'ilike', 'is', 'match', 'imatch', 'isdistinct'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface Filter {
  /** As written, e.g. "id" or "data->>kind". */
  column: string;
  /** The table column the filter reads. */
  baseColumn: string;
  /** For `col->>key` filters on jsonb columns. */
  jsonKey?: string;
  op: FilterOp;
  /** Unquoted value; for `in` a PostgreSQL array literal "{a,b}". */
  value: string;
  negate: boolean;
}

export type Action = 'INSERT' | 'UPDATE' | 'DELETE';

export interface BindingSpec {
  action: Action | '*';
  schema: string;
  table: string;
  filters: Filter[];
  select: string[] | null;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function splitTopLevel(filter: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  let prev = '';
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < filter.length) { current += ch + filter[i + 1]; i++; prev = filter[i]!; continue; }
      if (ch === '"') quoted = false;
      current += ch; prev = ch; continue;
    }
    if (ch === '"' && (prev === '.' || prev === '(' || prev === ',')) { quoted = true; current += ch; prev = ch; continue; }
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) { out.push(current); current = ''; prev = ''; continue; }
    current += ch; prev = ch;
  }
  out.push(current);
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let s = '';
  for (let i = 1; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) { s += value[i + 1]; i++; continue; }
    if (ch === '"') return i === value.length - 1 ? s : value;
    s += ch;
  }
  return value;
}

/** Parse a filter string; error messages as Realtime's (without the "Error parsing" prefix). */
export function parseFilter(filter: string, maxInValues = 100): ParseResult<Filter[]> {
  const trimmed = filter.trim();
  if (trimmed === '') return { ok: true, value: [] };
  const out: Filter[] = [];
  for (const segment of splitTopLevel(trimmed)) {
    const seg = segment.trim();
    if (seg === '') return { ok: false, error: 'filter must not contain empty segments (check for extra commas)' };
    const eq = seg.indexOf('=');
    if (eq < 0) return { ok: false, error: JSON.stringify([seg]) };
    const column = seg.slice(0, eq);
    let rest = seg.slice(eq + 1);
    let negate = false;
    if (rest.startsWith('not.')) { negate = true; rest = rest.slice(4); }
    const dot = rest.indexOf('.');
    if (dot < 0) return { ok: false, error: JSON.stringify([rest]) };
    const op = rest.slice(0, dot);
    const raw = rest.slice(dot + 1);
    if (!(FILTER_OPS as readonly string[]).includes(op)) return { ok: false, error: JSON.stringify([op, raw]) };
    let value: string;
    if (op === 'in') {
      if (raw.length < 2 || !raw.startsWith('(') || !raw.endsWith(')')) return { ok: false, error: '`in` filter value must be wrapped by parentheses' };
      value = '{' + raw.slice(1, -1) + '}';
      try {
        if (parseArrayLiteral(value).length > maxInValues) return { ok: false, error: `\`in\` filter accepts at most ${maxInValues} values` };
      } catch {
        return { ok: false, error: '`in` filter value is not a valid list' };
      }
    } else {
      value = unquote(raw);
    }
    const arrow = column.indexOf('->>');
    const baseColumn = arrow >= 0 ? column.slice(0, arrow).trim() : column;
    const jsonKey = arrow >= 0 ? column.slice(arrow + 3).trim().replace(/^"|"$/g, '') : undefined;
    out.push({ column, baseColumn, ...(jsonKey !== undefined ? { jsonKey } : {}), op: op as FilterOp, value, negate });
  }
  return { ok: true, value: out };
}

/** A `postgres_changes` binding from the join payload → spec, as Realtime parses it. */
export function parseBinding(params: unknown, maxInValues = 100): ParseResult<BindingSpec> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return { ok: false, error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${JSON.stringify(params)}` };
  }
  const p = params as Record<string, unknown>;
  const ev = typeof p.event === 'string' ? p.event.toUpperCase() : '*';
  const action: BindingSpec['action'] = ev === 'INSERT' || ev === 'UPDATE' || ev === 'DELETE' ? ev : '*';
  let select: string[] | null = null;
  if ('select' in p && p.select !== undefined && p.select !== null) {
    if (typeof p.select === 'string') return { ok: false, error: 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]' };
    if (Array.isArray(p.select)) {
      const cols = p.select.filter((c): c is string => typeof c === 'string');
      select = cols.length > 0 ? cols : null;
    }
  }
  const has = (k: string): boolean => k in p && p[k] !== undefined;
  let schema: string, table: string, filters: Filter[] = [];
  if (typeof p.schema === 'string' && typeof p.table === 'string' && typeof p.filter === 'string') {
    const parsed = parseFilter(p.filter, maxInValues);
    if (!parsed.ok) return { ok: false, error: `Error parsing \`filter\` params: ${parsed.error}` };
    schema = p.schema; table = p.table; filters = parsed.value;
  } else if (typeof p.schema === 'string' && typeof p.table === 'string' && !has('filter')) {
    schema = p.schema; table = p.table;
  } else if (typeof p.schema === 'string' && !has('table') && !has('filter')) {
    schema = p.schema; table = '*';
  } else if (typeof p.table === 'string' && !has('schema') && !has('filter')) {
    schema = 'public'; table = p.table;
  } else {
    return { ok: false, error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${JSON.stringify(p)}` };
  }
  if (select && (schema === '*' || table === '*')) {
    return { ok: false, error: 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.' };
  }
  return { ok: true, value: { action, schema, table, filters, select } };
}

// ---- evaluation -------------------------------------------------------------------

type Cmp = number | null;

function normBool(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', 'on', '1'].includes(v)) return true;
  if (['f', 'false', 'n', 'no', 'off', '0'].includes(v)) return false;
  return null;
}

/** Exact comparison of decimal strings (int8/numeric without float rounding). */
function compareDecimal(a: string, b: string): Cmp {
  const parse = (s: string): { sign: number; int: string; frac: string } | null => {
    const m = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/.exec(s);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
    const int = (m[2] ?? '').replace(/^0+/, '');
    const frac = (m[3] ?? '').replace(/0+$/, '');
    const zero = int === '' && frac === '';
    return { sign: zero ? 0 : m[1] === '-' ? -1 : 1, int, frac };
  };
  const x = parse(a), y = parse(b);
  if (!x || !y) {
    const fa = Number(a), fb = Number(b);
    if (Number.isNaN(fa) || Number.isNaN(fb)) return null;
    return fa === fb ? 0 : fa < fb ? -1 : 1;
  }
  if (x.sign !== y.sign) return x.sign < y.sign ? -1 : 1;
  let mag: number;
  if (x.int.length !== y.int.length) mag = x.int.length < y.int.length ? -1 : 1;
  else if (x.int !== y.int) mag = x.int < y.int ? -1 : 1;
  else {
    const len = Math.max(x.frac.length, y.frac.length);
    const fx = x.frac.padEnd(len, '0'), fy = y.frac.padEnd(len, '0');
    mag = fx === fy ? 0 : fx < fy ? -1 : 1;
  }
  return x.sign < 0 ? -mag : mag;
}

/** Epoch microseconds for ISO-ish date/time text; `assumeUtc` for timestamp without tz. */
export function parseTimestampMicros(text: string): number | null {
  const m = /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?\s*(Z|z|UTC|[+-]\d{1,2}(?::?\d{2})?(?::?\d{2})?)?\s*$/.exec(text);
  if (!m) {
    const t = text.trim().toLowerCase();
    if (t === 'infinity') return Number.POSITIVE_INFINITY;
    if (t === '-infinity') return Number.NEGATIVE_INFINITY;
    return null;
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (tz && !/^(z|utc)$/i.test(tz)) {
    const t = /^([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(tz);
    if (t) {
      const off = (Number(t[2]) * 3600 + Number(t[3] ?? 0) * 60 + Number(t[4] ?? 0)) * 1000;
      ms -= t[1] === '-' ? -off : off;
    }
  }
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

function compareTyped(type: PgType, a: string, b: string): Cmp {
  switch (type.compareAs ?? type.name) {
    case 'int2': case 'int4': case 'int8': case 'numeric': case 'oid':
      return compareDecimal(a, b);
    case 'float4': case 'float8': {
      const fa = Number(a), fb = Number(b);
      if (Number.isNaN(fa) || Number.isNaN(fb)) return null;
      return fa === fb ? 0 : fa < fb ? -1 : 1;
    }
    case 'bool': {
      const x = normBool(a), y = normBool(b);
      if (x === null || y === null) return null;
      return x === y ? 0 : x ? 1 : -1;
    }
    case 'timestamp': case 'timestamptz': case 'date': {
      const x = parseTimestampMicros(a), y = parseTimestampMicros(b);
      if (x === null || y === null) return null;
      return x === y ? 0 : x < y ? -1 : 1;
    }
    case 'uuid': {
      const x = a.replace(/[{}-]/g, '').toLowerCase(), y = b.replace(/[{}-]/g, '').toLowerCase();
      return x === y ? 0 : x < y ? -1 : 1;
    }
    case 'jsonb': case 'json': {
      try {
        return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b)) ? 0 : null;
      } catch { return null; }
    }
    default:
      // Text-like types: the stack's databases use the C.UTF-8 collation (code-point order).
      return a === b ? 0 : a < b ? -1 : 1;
  }
}

function likeToRegExp(pattern: string, insensitive: boolean): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) { re += pattern[i + 1]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'); i++; continue; }
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$', insensitive ? 'is' : 's');
}

const regexCache = new Map<string, RegExp | null>();
function cachedRegExp(key: string, make: () => RegExp): RegExp | null {
  let re = regexCache.get(key);
  if (re === undefined) {
    try { re = make(); } catch { re = null; }
    if (regexCache.size > 5_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

/** Three-valued result of one condition (null = SQL NULL). */
function evalOne(f: Filter, type: PgType, value: string | null): boolean | null {
  const r = ((): boolean | null => {
    switch (f.op) {
      case 'is': {
        const v = f.value.toLowerCase();
        if (v === 'null') return value === null;
        const b = value === null ? null : normBool(value);
        if (v === 'unknown') return b === null;
        if (v === 'true') return b === true;
        if (v === 'false') return b === false;
        return null;
      }
      case 'isdistinct':
        if (value === null) return true;
        return compareTyped(type, value, f.value) !== 0;
      default:
        break;
    }
    if (value === null) return null;
    switch (f.op) {
      case 'eq': { const c = compareTyped(type, value, f.value); return c === null ? null : c === 0; }
      case 'neq': { const c = compareTyped(type, value, f.value); return c === null ? null : c !== 0; }
      case 'lt': { const c = compareTyped(type, value, f.value); return c === null ? null : c < 0; }
      case 'lte': { const c = compareTyped(type, value, f.value); return c === null ? null : c <= 0; }
      case 'gt': { const c = compareTyped(type, value, f.value); return c === null ? null : c > 0; }
      case 'gte': { const c = compareTyped(type, value, f.value); return c === null ? null : c >= 0; }
      case 'in': {
        let sawNull = false;
        for (const item of parseArrayLiteral(f.value)) {
          if (item === null || Array.isArray(item)) { sawNull = true; continue; }
          if (compareTyped(type, value, item) === 0) return true;
        }
        return sawNull ? null : false;
      }
      case 'like': case 'ilike': {
        const re = cachedRegExp(`${f.op}:${f.value}`, () => likeToRegExp(f.value, f.op === 'ilike'));
        return re ? re.test(value) : null;
      }
      case 'match': case 'imatch': {
        const re = cachedRegExp(`${f.op}:${f.value}`, () => new RegExp(f.value, f.op === 'imatch' ? 'i' : ''));
        return re ? re.test(value) : null;
      }
      default:
        return null;
    }
  })();
  if (r === null) return null;
  return f.negate ? !r : r;
}

/** The text of `col->>key` for a json/jsonb column value. */
function jsonField(text: string | null, key: string): string | null {
  if (text === null) return null;
  try {
    const v = (JSON.parse(text) as Record<string, unknown> | null)?.[key];
    if (v === undefined || v === null) return null;
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    return null;
  }
}

const TEXT_TYPE: PgType = { oid: 25, name: 'text', kind: 'string' };

/**
 * True when every filter holds for `row` (column → text value, absent = not in the WAL
 * record). A filter on a column that is not in the record fails, as in Realtime's
 * is_visible_through_filters.
 */
export function matchesFilters(filters: readonly Filter[], row: ReadonlyMap<string, string | null>, typeOf: (column: string) => PgType | undefined): boolean {
  for (const f of filters) {
    if (!row.has(f.baseColumn)) return false;
    const type = typeOf(f.baseColumn);
    if (!type) return false;
    let value = row.get(f.baseColumn) ?? null;
    let t = type;
    if (f.jsonKey !== undefined) {
      if ((type.compareAs ?? type.name) !== 'jsonb' && (type.compareAs ?? type.name) !== 'json') return false;
      value = jsonField(value, f.jsonKey);
      t = TEXT_TYPE;
    }
    if (evalOne(f, t, value) !== true) return false;
  }
  return true;
}

/** Would PostgreSQL accept `value::type`? (The subscription check Realtime runs at subscribe.) */
export function castable(type: PgType, value: string): boolean {
  switch (type.compareAs ?? type.name) {
    case 'int2': case 'int4': case 'int8': return /^\s*[+-]?\d+\s*$/.test(value);
    case 'numeric': case 'float4': case 'float8': return !Number.isNaN(Number(value)) || /^\s*[+-]?(nan|infinity|inf)\s*$/i.test(value);
    case 'bool': return normBool(value) !== null;
    case 'uuid': return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value.trim());
    case 'timestamp': case 'timestamptz': case 'date': return parseTimestampMicros(value) !== null;
    default: return true;
  }
}
