/**
 * PostgreSQL text values (as logical replication sends them) → the JSON Supabase
 * Realtime puts in `record` / `old_record`, which is `to_jsonb(value::type)`
 * (realtime.cast): numbers and booleans as JSON, json/jsonb embedded, arrays and
 * composites recursively, timestamps in ISO 8601, everything else a string.
 */

export type ValueKind =
  | 'bool' | 'number' | 'json' | 'date' | 'timestamp' | 'timestamptz'
  | 'array' | 'composite' | 'string';

export interface PgType {
  oid: number;
  /** pg_type.typname as Realtime reports it in `columns` (e.g. int8, _text, my_enum). */
  name: string;
  kind: ValueKind;
  /** Element type for arrays. */
  element?: PgType;
  /** Array delimiter (',' for all built-ins but box). */
  delimiter?: string;
  /** Fields for composite types. */
  fields?: Array<{ name: string; type: PgType }>;
  /** For domains: the base type's name, whose comparison rules filters use. */
  compareAs?: string;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** One value as a JSON text fragment. `null` → "null". */
export function valueToJson(type: PgType, text: string | null): string {
  if (text === null) return 'null';
  switch (type.kind) {
    case 'bool':
      return text === 't' || text === 'true' ? 'true' : 'false';
    case 'number': {
      if (JSON_NUMBER.test(text)) return text;
      // PostgreSQL's numeric output is JSON-compatible except these, which to_jsonb quotes.
      const trimmed = text.trim();
      if (JSON_NUMBER.test(trimmed)) return trimmed;
      const n = Number(trimmed);
      return Number.isFinite(n) ? String(n) : JSON.stringify(text);
    }
    case 'json':
      return text;
    case 'timestamp':
      return JSON.stringify(isoTimestamp(text));
    case 'timestamptz':
      return JSON.stringify(isoTimestampTz(text));
    case 'array':
      return arrayToJson(type, text);
    case 'composite':
      return compositeToJson(type, text);
    case 'date':
    case 'string':
    default:
      return JSON.stringify(text);
  }
}

function isoTimestamp(text: string): string {
  return /^\d{4,}-\d\d-\d\d /.test(text) ? text.replace(' ', 'T') : text;
}

/** "2024-01-01 12:00:00.5+05" → "2024-01-01T12:00:00.5+05:00" (to_jsonb's format). */
function isoTimestampTz(text: string): string {
  const t = isoTimestamp(text);
  return t.replace(/([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?$/, (_m, h: string, m?: string, s?: string) =>
    `${h}:${m ?? '00'}${s ? ':' + s : ''}`);
}

/** Parse an array literal ({…}, possibly with "[1:2]=" bounds) into nested string|null. */
export type ArrayItem = string | null | ArrayItem[];

export function parseArrayLiteral(text: string, delimiter = ','): ArrayItem[] {
  let i = 0;
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    if (eq < 0) throw new Error('invalid array literal');
    i = eq + 1;
  }
  const parseLevel = (): ArrayItem[] => {
    if (text[i] !== '{') throw new Error('invalid array literal');
    i++;
    const out: ArrayItem[] = [];
    if (text[i] === '}') { i++; return out; }
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        i++;
        let s = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        i++; // closing quote
        out.push(s);
      } else {
        let s = '';
        while (i < text.length && text[i] !== delimiter && text[i] !== '}') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        s = s.trim();
        out.push(s.toUpperCase() === 'NULL' ? null : s);
      }
      while (text[i] === ' ') i++;
      if (text[i] === delimiter) { i++; continue; }
      if (text[i] === '}') { i++; return out; }
      throw new Error('invalid array literal');
    }
  };
  return parseLevel();
}

function arrayToJson(type: PgType, text: string): string {
  const element = type.element ?? { oid: 25, name: 'text', kind: 'string' as const };
  let items: ArrayItem[];
  try {
    items = parseArrayLiteral(text, type.delimiter ?? ',');
  } catch {
    return JSON.stringify(text);
  }
  const render = (list: ArrayItem[]): string =>
    '[' + list.map((it) => (Array.isArray(it) ? render(it) : valueToJson(element, it))).join(',') + ']';
  return render(items);
}

/** Parse a record literal "(1,"a b",)" into field texts (empty unquoted = NULL). */
export function parseRecordLiteral(text: string): Array<string | null> {
  if (text[0] !== '(' || text[text.length - 1] !== ')') throw new Error('invalid record literal');
  const out: Array<string | null> = [];
  let i = 1;
  const end = text.length - 1;
  for (;;) {
    let s = '';
    let quoted = false;
    while (i < end && text[i] !== ',') {
      if (text[i] === '"') {
        quoted = true;
        i++;
        while (i < end) {
          if (text[i] === '"' && text[i + 1] === '"') { s += '"'; i += 2; continue; }
          if (text[i] === '"') { i++; break; }
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
      } else {
        if (text[i] === '\\') i++;
        s += text[i] ?? '';
        i++;
      }
    }
    out.push(s === '' && !quoted ? null : s);
    if (i >= end) break;
    i++; // comma
  }
  return out;
}

function compositeToJson(type: PgType, text: string): string {
  const fields = type.fields ?? [];
  let values: Array<string | null>;
  try {
    values = parseRecordLiteral(text);
  } catch {
    return JSON.stringify(text);
  }
  return '{' + fields.map((f, idx) => `${JSON.stringify(f.name)}:${valueToJson(f.type, values[idx] ?? null)}`).join(',') + '}';
}

/** Category for a base type from pg_type facts (domains are resolved by the caller). */
export function kindFor(t: { typname: string; typtype: string; typcategory: string; typelem: number }): ValueKind {
  if (t.typtype === 'c') return 'composite';
  if (t.typcategory === 'A' && t.typelem !== 0) return 'array';
  switch (t.typname) {
    case 'bool': return 'bool';
    case 'int2': case 'int4': case 'int8': case 'float4': case 'float8': case 'numeric': return 'number';
    case 'json': case 'jsonb': return 'json';
    case 'date': return 'date';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    default: return 'string';
  }
}
