/**
 * The PostgREST query-parameter grammar (src/PostgREST/ApiRequest/QueryParams.hs),
 * hand-written: field names, JSON paths, select trees, filter operator expressions,
 * logic trees, order terms and column lists. Like the parsec original it does not
 * require the whole input to be consumed where the original does not (e.g. `select`),
 * and its failures carry parsec-style positions and "unexpected … expecting …" details.
 */

export type JsonArrow = '->' | '->>';
export interface JsonOp {
  arrow: JsonArrow;
  /** Key text, or the signed index ("+1", "-2") when `index` is true. */
  value: string;
  index: boolean;
}
export interface Field {
  name: string;
  jsonPath: JsonOp[];
}

export type AggregateFn = 'sum' | 'avg' | 'count' | 'max' | 'min';
export interface SelectField {
  kind: 'field';
  field: Field;
  alias?: string;
  cast?: string;
  aggregate?: AggregateFn;
  aggregateCast?: string;
  /** cfFullRow: a spread's `count()` counts the relation's whole row (set by the plan, never parsed). */
  fullRow?: boolean;
}
export interface SelectRelation {
  kind: 'relation';
  name: string;
  alias?: string;
  hint?: string;
  joinType?: 'inner' | 'left';
  spread: boolean;
  children: SelectItem[];
}
export type SelectItem = SelectField | SelectRelation;

export type QuantOp = 'eq' | 'gte' | 'gt' | 'lte' | 'lt' | 'like' | 'ilike' | 'match' | 'imatch';
export type SimpleOp = 'neq' | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxr' | 'nxl' | 'adj';
export type FtsOp = 'fts' | 'plfts' | 'phfts' | 'wfts';
export type IsValue = 'null' | 'not_null' | 'true' | 'false' | 'unknown';

export type Operation =
  | { kind: 'quant'; op: QuantOp; quantifier?: 'any' | 'all'; value: string }
  | { kind: 'simple'; op: SimpleOp; value: string }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: IsValue }
  | { kind: 'isdistinct'; value: string }
  | { kind: 'fts'; op: FtsOp; language?: string; value: string };

export interface OpExpr {
  negated: boolean;
  operation: Operation;
}
export interface Filter {
  field: Field;
  expr: OpExpr;
}
export type LogicTree =
  | { kind: 'stmt'; filter: Filter }
  | { kind: 'expr'; negated: boolean; op: 'and' | 'or'; children: LogicTree[] };

export interface OrderTerm {
  field: Field;
  /** Set for `rel(col)` terms (ordering by an embedded resource). */
  relation?: string;
  direction?: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

/** A parse failure at a 0-based offset with parsec-style details. */
export class GrammarError extends Error {
  constructor(readonly pos: number, readonly details: string) {
    super(details);
  }
}

// Character classes ---------------------------------------------------------------

const LETTER = /\p{L}/u;
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentChar = (c: string | undefined): boolean =>
  c !== undefined && (LETTER.test(c) || isDigit(c) || c === '_' || c === ' ' || c === '$');

/** parsec's `show` of a one-character string. */
const showStr = (c: string | undefined): string => (c === undefined ? 'end of input' : JSON.stringify(c));
/** parsec's `show` of a Char (notFollowedBy / eof failures). */
const showChar = (c: string | undefined): string => (c === undefined ? 'end of input' : `'${c}'`);

function expecting(items: string[]): string {
  if (items.length === 0) return '';
  if (items.length === 1) return ` expecting ${items[0]}`;
  return ` expecting ${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The position and unexpected text of `lit` failing at `pos` (parsec `string` is atomic). */
function literalMismatch(s: string, pos: number, lit: string): string {
  for (let k = 0; k < lit.length; k++) {
    const c = s[pos + k];
    if (c !== lit[k]) return showStr(c);
  }
  return showStr(s[pos + lit.length]);
}

// Cursor ------------------------------------------------------------------------------

/** Deepest nesting of logic trees and select parentheses (deeper input is refused, not recursed into). */
export const MAX_NESTING = 100;

class Cursor {
  depth = 0;
  constructor(readonly s: string, public i = 0) {}
  enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`nesting deeper than ${MAX_NESTING} levels`);
  }
  peek(k = 0): string | undefined { return this.s[this.i + k]; }
  eof(): boolean { return this.i >= this.s.length; }
  at(lit: string): boolean { return this.s.startsWith(lit, this.i); }
  eat(lit: string): boolean {
    if (!this.at(lit)) return false;
    this.i += lit.length;
    return true;
  }
  ws(): void { while (this.peek() === ' ' || this.peek() === '\t') this.i++; }
  fail(details: string, pos = this.i): never { throw new GrammarError(pos, details); }
}

// Names and JSON paths -------------------------------------------------------------------

function quotedValue(c: Cursor): string | undefined {
  if (c.peek() !== '"') return undefined;
  c.i++;
  let out = '';
  for (;;) {
    const ch = c.peek();
    if (ch === undefined) c.fail(`unexpected end of input expecting "\\"" or "\\\\"`);
    if (ch === '"') { c.i++; return out; }
    if (ch === '\\') {
      const nx = c.peek(1);
      if (nx === undefined) { c.i++; c.fail('unexpected end of input'); }
      out += nx;
      c.i += 2;
      continue;
    }
    out += ch;
    c.i++;
  }
}

/** `-` that is not the start of `->`. */
function atDash(c: Cursor): boolean {
  return c.peek() === '-' && c.peek(1) !== '>';
}

function identifierPiece(c: Cursor): string | undefined {
  const start = c.i;
  while (isIdentChar(c.peek())) c.i++;
  return c.i > start ? c.s.slice(start, c.i).trim() : undefined;
}

/** pFieldName: a quoted value, or identifiers joined by dashes (each piece trimmed). */
function fieldName(c: Cursor): string | undefined {
  const q = quotedValue(c);
  if (q !== undefined) return q;
  const first = identifierPiece(c);
  if (first === undefined) return undefined;
  const pieces = [first];
  while (atDash(c)) {
    c.i++;
    const next = identifierPiece(c);
    if (next === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting letter or digit`);
    pieces.push(next);
  }
  return pieces.join('-');
}

function requireFieldName(c: Cursor): string {
  const n = fieldName(c);
  if (n === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting field name (* or [a..z0..9_$])`);
  return n;
}

function jsonKeyPiece(c: Cursor): string | undefined {
  const start = c.i;
  while (c.peek() !== undefined && !'(-:.,>)'.includes(c.peek() as string)) c.i++;
  return c.i > start ? c.s.slice(start, c.i).trim() : undefined;
}

function jsonKeyName(c: Cursor): string | undefined {
  const q = quotedValue(c);
  if (q !== undefined) return q;
  const first = jsonKeyPiece(c);
  if (first === undefined) return undefined;
  const pieces = [first];
  while (atDash(c)) {
    c.i++;
    const next = jsonKeyPiece(c);
    if (next === undefined) c.fail(`unexpected ${showStr(c.peek())}`);
    pieces.push(next);
  }
  return pieces.join('-');
}

function jsonPath(c: Cursor): JsonOp[] {
  const ops: JsonOp[] = [];
  for (;;) {
    let arrow: JsonArrow;
    if (c.at('->>')) arrow = '->>';
    else if (c.at('->')) arrow = '->';
    else return ops;
    c.i += arrow.length;
    // Index: optional '-', digits, then one of -> :: . , or the end.
    const save = c.i;
    let j = c.i;
    if (c.s[j] === '-') j++;
    const digitsStart = j;
    while (isDigit(c.s[j])) j++;
    const rest = c.s.slice(j);
    if (j > digitsStart && (rest === '' || rest.startsWith('->') || rest.startsWith('::') || rest.startsWith('.') || rest.startsWith(','))) {
      const sign = c.s[save] === '-' ? '-' : '+';
      ops.push({ arrow, value: sign + c.s.slice(digitsStart, j), index: true });
      c.i = j;
      continue;
    }
    const key = jsonKeyName(c);
    if (key === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting digit, "-" or any non reserved character different from: .,>()`);
    ops.push({ arrow, value: key, index: false });
  }
}

/** pField: lexeme (fieldName + optional JSON path). */
function field(c: Cursor): Field {
  c.ws();
  const name = requireFieldName(c);
  const jp = jsonPath(c);
  c.ws();
  return { name, jsonPath: jp };
}

function identifier(c: Cursor): string | undefined {
  return identifierPiece(c);
}

// select ----------------------------------------------------------------------------------

const SELECT_FIELD_END = 'letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input';

function atItemEnd(c: Cursor): boolean {
  return c.eof() || c.peek() === ')' || c.peek() === ',';
}

/** Optional `alias:` (a field name followed by one colon, not `::`). */
function optionalAlias(c: Cursor): string | undefined {
  const save = c.i;
  try {
    const name = fieldName(c);
    if (name !== undefined && c.peek() === ':' && c.peek(1) !== ':') {
      c.i++;
      return name;
    }
  } catch { /* backtrack */ }
  c.i = save;
  return undefined;
}

function embedParams(c: Cursor): { hint?: string; joinType?: 'inner' | 'left' } {
  const out: { hint?: string; joinType?: 'inner' | 'left' } = {};
  for (let k = 0; k < 2 && c.peek() === '!'; k++) {
    c.i++;
    if (c.eat('left')) out.joinType ??= 'left';
    else if (c.eat('inner')) out.joinType ??= 'inner';
    else out.hint ??= requireFieldName(c);
  }
  return out;
}

function tryRelation(c: Cursor): SelectRelation | undefined {
  // The header (`[...][alias:]name[!hint][!inner|!left]` followed by '(') backtracks;
  // once it is recognised, errors inside the parentheses surface.
  const save = c.i;
  let header: { spread: boolean; alias?: string; name: string; hint?: string; joinType?: 'inner' | 'left' } | undefined;
  try {
    c.ws();
    const spread = c.eat('...');
    const alias = spread ? undefined : optionalAlias(c);
    const name = fieldName(c);
    if (name !== undefined && (spread || name !== 'count')) {
      const params = embedParams(c);
      if (c.peek() === '(') {
        header = { spread, name, ...params };
        if (alias !== undefined) header.alias = alias;
      }
    }
  } catch { header = undefined; }
  if (header === undefined) { c.i = save; return undefined; }
  c.i++;
  c.enter();
  const children = selectForest(c);
  c.depth--;
  if (c.peek() !== ')') c.fail(`unexpected ${showChar(c.peek())} expecting "," or ")"`);
  c.i++;
  c.ws();
  const rel: SelectRelation = { kind: 'relation', name: header.name, spread: header.spread, children };
  if (header.alias !== undefined) rel.alias = header.alias;
  if (header.hint !== undefined) rel.hint = header.hint;
  if (header.joinType !== undefined) rel.joinType = header.joinType;
  return rel;
}

const AGGREGATES: AggregateFn[] = ['sum', 'avg', 'count', 'max', 'min'];

function selectField(c: Cursor): SelectField {
  c.ws();
  if (c.peek() === '*') {
    c.i++;
    c.ws();
    if (!atItemEnd(c)) c.fail(`unexpected ${showChar(c.peek())} expecting ")", "," or end of input`);
    return { kind: 'field', field: { name: '*', jsonPath: [] } };
  }
  // [alias:]count()[::cast]
  {
    const save = c.i;
    const alias = optionalAlias(c);
    if (c.eat('count()')) {
      let aggregateCast: string | undefined;
      if (c.eat('::')) aggregateCast = identifier(c);
      c.ws();
      if (atItemEnd(c)) {
        const f: SelectField = { kind: 'field', field: { name: '*', jsonPath: [] }, aggregate: 'count' };
        if (alias !== undefined) f.alias = alias;
        if (aggregateCast !== undefined) f.aggregateCast = aggregateCast;
        return f;
      }
    }
    c.i = save;
  }
  const alias = optionalAlias(c);
  const fld = field(c);
  let cast: string | undefined;
  if (c.eat('::')) {
    cast = identifier(c);
    if (cast === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting letter or digit`);
  }
  let aggregate: AggregateFn | undefined;
  if (c.peek() === '.') {
    for (const a of AGGREGATES) {
      if (c.at(`.${a}()`)) { aggregate = a; c.i += a.length + 3; break; }
    }
  }
  let aggregateCast: string | undefined;
  if (c.eat('::')) {
    aggregateCast = identifier(c);
    if (aggregateCast === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting letter or digit`);
  }
  c.ws();
  if (!atItemEnd(c)) c.fail(`unexpected ${showChar(c.peek())} expecting ${SELECT_FIELD_END}`);
  const f: SelectField = { kind: 'field', field: fld };
  if (alias !== undefined) f.alias = alias;
  if (cast !== undefined) f.cast = cast;
  if (aggregate !== undefined) f.aggregate = aggregate;
  if (aggregateCast !== undefined) f.aggregateCast = aggregateCast;
  return f;
}

function selectForest(c: Cursor): SelectItem[] {
  const items: SelectItem[] = [];
  c.ws();
  if (c.eof() || c.peek() === ')') return items;
  for (;;) {
    items.push(tryRelation(c) ?? selectField(c));
    c.ws();
    if (c.peek() !== ',') return items;
    c.i++;
    c.ws();
  }
}

/** `select=`: a (possibly empty) forest; trailing input after it is ignored as in PostgREST. */
export function parseSelect(s: string): SelectItem[] {
  return selectForest(new Cursor(s));
}

// Filters ------------------------------------------------------------------------------------

const QUANT_OPS: QuantOp[] = ['eq', 'gte', 'gt', 'lte', 'lt', 'like', 'ilike', 'match', 'imatch'];
const SIMPLE_OPS: SimpleOp[] = ['neq', 'cs', 'cd', 'ov', 'sl', 'sr', 'nxr', 'nxl', 'adj'];
const FTS_OPS: FtsOp[] = ['fts', 'plfts', 'phfts', 'wfts'];
const IS_VALUES: IsValue[] = ['null', 'not_null', 'true', 'false', 'unknown'];

type ValueParser = (c: Cursor) => string;

/** pSingleVal: the rest of the input. */
const restValue: ValueParser = (c) => {
  const v = c.s.slice(c.i);
  c.i = c.s.length;
  return v;
};

/** pLogicSingleVal: quoted value, a `{…}` array literal, or characters up to `,` or `)`. */
const logicValue: ValueParser = (c) => {
  const save = c.i;
  try {
    const q = quotedValue(c);
    if (q !== undefined && (c.eof() || c.peek() === ',' || c.peek() === ')')) return q;
  } catch { /* fall through */ }
  c.i = save;
  if (c.peek() === '{') {
    const close = c.s.indexOf('}', c.i + 1);
    const inner = close < 0 ? '' : c.s.slice(c.i + 1, close);
    if (close >= 0 && !inner.includes('{')) {
      const v = c.s.slice(c.i, close + 1);
      c.i = close + 1;
      return v;
    }
  }
  const start = c.i;
  while (!c.eof() && c.peek() !== ',' && c.peek() !== ')') c.i++;
  return c.s.slice(start, c.i);
};

function listValue(c: Cursor): string[] {
  c.ws();
  if (c.peek() !== '(') c.fail(`unexpected ${showStr(c.peek())} expecting "("`);
  c.i++;
  c.ws();
  const values: string[] = [];
  for (;;) {
    const save = c.i;
    let v: string | undefined;
    try {
      const q = quotedValue(c);
      if (q !== undefined && (c.peek() === ',' || c.peek() === ')')) v = q;
    } catch { /* fall through */ }
    if (v === undefined) {
      c.i = save;
      const start = c.i;
      while (!c.eof() && c.peek() !== ',' && c.peek() !== ')') c.i++;
      v = c.s.slice(start, c.i);
    }
    values.push(v);
    if (c.peek() === ',') { c.i++; continue; }
    break;
  }
  c.ws();
  if (c.peek() !== ')') c.fail(`unexpected ${showStr(c.peek())} expecting "," or ")"`);
  c.i++;
  c.ws();
  return values;
}

/** pOpExpr: `[not.]operator[(quantifier|language)].value`. */
function opExpr(c: Cursor, value: ValueParser): OpExpr {
  const start = c.i;
  const negated = c.at('not.');
  if (negated) c.i += 4;
  const opStart = c.i;
  let furthest = -1;
  let furthestDetails = '';
  const note = (pos: number, details: string): void => {
    if (pos > furthest) { furthest = pos; furthestDetails = details; }
  };

  if (c.at('in.')) { c.i += 3; return { negated, operation: { kind: 'in', values: listValue(c) } }; }
  if (c.at('is.')) {
    c.i += 3;
    const rest = c.s.slice(c.i).toLowerCase();
    const v = IS_VALUES.find((x) => rest.startsWith(x));
    if (v === undefined) c.fail(`unexpected ${showStr(c.peek())} expecting isVal: (null, not_null, true, false, unknown)`);
    c.i += v.length;
    return { negated, operation: { kind: 'is', value: v } };
  }
  if (c.at('isdistinct.')) { c.i += 11; return { negated, operation: { kind: 'isdistinct', value: value(c) } }; }
  for (const op of FTS_OPS) {
    if (!c.at(op)) continue;
    const save = c.i;
    c.i += op.length;
    let language: string | undefined;
    if (c.peek() === '(') {
      const close = c.s.indexOf(')', c.i);
      const inner = close < 0 ? undefined : c.s.slice(c.i + 1, close);
      if (inner !== undefined && inner.length > 0 && [...inner].every((ch) => isIdentChar(ch))) {
        language = inner.trim();
        c.i = close + 1;
      }
    }
    if (c.peek() === '.') {
      c.i++;
      const operation: Operation = { kind: 'fts', op, value: value(c) };
      if (language !== undefined) operation.language = language;
      return { negated, operation };
    }
    note(c.i, `unexpected ${showStr(c.peek())} expecting operator (eq, gt, ...)`);
    c.i = save;
  }
  for (const op of SIMPLE_OPS) {
    if (!c.at(op)) continue;
    if (c.peek(op.length) === '.') {
      c.i += op.length + 1;
      return { negated, operation: { kind: 'simple', op, value: value(c) } };
    }
    note(c.i + op.length, `unexpected ${showStr(c.peek(op.length))} expecting operator (eq, gt, ...)`);
  }
  for (const op of QUANT_OPS) {
    if (!c.at(op)) continue;
    let j = c.i + op.length;
    let quantifier: 'any' | 'all' | undefined;
    if (c.s.startsWith('(any)', j)) { quantifier = 'any'; j += 5; } else if (c.s.startsWith('(all)', j)) { quantifier = 'all'; j += 5; }
    if (c.s[j] === '.') {
      c.i = j + 1;
      const operation: Operation = { kind: 'quant', op, value: value(c) };
      if (quantifier !== undefined) operation.quantifier = quantifier;
      return { negated, operation };
    }
    note(j, `unexpected ${showStr(c.s[j])} expecting operator (eq, gt, ...)`);
  }
  if (furthest > opStart) c.fail(furthestDetails, furthest);
  if (!negated && c.s.startsWith('not', start)) c.fail(`unexpected ${showStr(c.s[start + 3])} expecting delimiter (.)`, start + 3);
  const unexpected = literalMismatch(c.s, opStart, negated ? 'in' : 'not');
  c.fail(`unexpected ${unexpected} expecting ${negated ? '' : '"not" or '}operator (eq, gt, ...)`, opStart);
}

/** A filter value such as `eq.5`, `not.in.(1,2)`, `fts(english).cat`. */
export function parseFilterValue(s: string): OpExpr {
  return opExpr(new Cursor(s), restValue);
}

/** A filter key: `[embed.path.]column[->json->>path]`. */
export function parseTreePath(s: string): { path: string[]; field: Field } {
  const c = new Cursor(s);
  const names = [requireFieldName(c)];
  while (c.peek() === '.') {
    c.i++;
    names.push(requireFieldName(c));
  }
  const jp = jsonPath(c);
  return { path: names.slice(0, -1), field: { name: names[names.length - 1] as string, jsonPath: jp } };
}

// Logic trees ----------------------------------------------------------------------------

function logicTree(c: Cursor): LogicTree {
  const save = c.i;
  try {
    const fld = field(c);
    if (c.peek() !== '.') throw new GrammarError(c.i, '');
    c.i++;
    return { kind: 'stmt', filter: { field: fld, expr: opExpr(c, logicValue) } };
  } catch (e) {
    if (!(e instanceof GrammarError)) throw e;
    c.i = save;
    const negated = c.eat('not.');
    let op: 'and' | 'or';
    if (c.eat('and')) op = 'and';
    else if (c.eat('or')) op = 'or';
    else {
      // A statement that got past its field and delimiter reports its own error.
      if (e.details !== '' && e.pos > save) throw e;
      c.fail(`unexpected ${showStr(c.peek())} expecting ${negated ? '' : 'field name (* or [a..z0..9_$]), negation operator (not) or '}logic operator (and, or)`);
    }
    c.ws();
    if (c.peek() !== '(') c.fail(`unexpected ${showStr(c.peek())} expecting "("`);
    c.i++;
    c.ws();
    c.enter();
    const children: LogicTree[] = [];
    for (;;) {
      if (c.peek() === ')' && children.length === 0) {
        c.fail(`unexpected ${showStr(c.peek())} expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`);
      }
      children.push(logicTree(c));
      c.ws();
      if (c.peek() === ',') { c.i++; c.ws(); continue; }
      break;
    }
    if (c.peek() !== ')') c.fail(`unexpected ${showStr(c.peek())} expecting "," or ")"`);
    c.i++;
    c.ws();
    c.depth--;
    return { kind: 'expr', negated, op, children };
  }
}

/** `or=(…)` / `not.and=(…)`: parses `op + value`, as PostgREST does. */
export function parseLogicTree(opAndValue: string): LogicTree {
  return logicTree(new Cursor(opAndValue));
}

/** A logic key: `[embed.path.][not.]and|or` → embed path and "and" | "or" | "not.and" | "not.or". */
export function parseLogicPath(key: string): { path: string[]; op: string } {
  const c = new Cursor(key);
  const names = [requireFieldName(c)];
  while (c.peek() === '.') {
    c.i++;
    names.push(requireFieldName(c));
  }
  const op = names[names.length - 1] as string;
  const path = names.slice(0, -1);
  return { path: path.filter((n) => n !== 'not'), op: path.includes('not') ? `not.${op}` : op };
}

// Order ------------------------------------------------------------------------------------

export function parseOrder(s: string): OrderTerm[] {
  const c = new Cursor(s);
  const terms: OrderTerm[] = [];
  for (;;) {
    c.ws();
    terms.push(orderTerm(c));
    if (c.peek() === ',') { c.i++; continue; }
    return terms;
  }
}

function orderTerm(c: Cursor): OrderTerm {
  const term: OrderTerm = { field: { name: '', jsonPath: [] } };
  // rel(col) form
  const save = c.i;
  const relName = fieldName(c);
  if (relName !== undefined && c.peek() === '(') {
    c.i++;
    term.field = field(c);
    if (c.peek() !== ')') c.fail(`unexpected ${showStr(c.peek())} expecting ")"`);
    c.i++;
    term.relation = relName;
  } else {
    c.i = save;
    term.field = field(c);
  }
  const wordAt = (words: string[]): string | undefined => words.find((w) => c.s.startsWith(w, c.i));
  if (c.peek() === '.') {
    c.i++;
    const w = wordAt(['asc', 'desc', 'nullsfirst', 'nullslast']);
    if (w === undefined) {
      c.fail(`unexpected ${literalMismatchAny(c.s, c.i, ['asc', 'desc', 'nullsfirst', 'nullslast'])} expecting "asc", "desc", "nullsfirst" or "nullslast"`);
    }
    c.i += w.length;
    if (w === 'asc' || w === 'desc') {
      term.direction = w;
      if (c.peek() === '.') {
        c.i++;
        const n = wordAt(['nullsfirst', 'nullslast']);
        if (n === undefined) c.fail(`unexpected ${literalMismatchAny(c.s, c.i, ['nullsfirst', 'nullslast'])} expecting "nullsfirst" or "nullslast"`);
        c.i += n.length;
        term.nulls = n === 'nullsfirst' ? 'first' : 'last';
        endOfTerm(c, '"," or end of input');
      } else {
        endOfTerm(c, 'delimiter (.), "," or end of input');
      }
    } else {
      term.nulls = w === 'nullsfirst' ? 'first' : 'last';
      endOfTerm(c, '"," or end of input');
    }
  } else {
    endOfTerm(c, term.field.jsonPath.length > 0 || term.relation !== undefined
      ? 'delimiter (.), "," or end of input'
      : 'letter, digit, "-", "->>", "->", delimiter (.), "," or end of input');
  }
  return term;
}

function endOfTerm(c: Cursor, expected: string): void {
  c.ws();
  if (!c.eof() && c.peek() !== ',') c.fail(`unexpected ${showChar(c.peek())} expecting ${expected}`);
}

function literalMismatchAny(s: string, pos: number, lits: string[]): string {
  // parsec reports the mismatch of the first alternative tried at this position.
  return literalMismatch(s, pos, lits[0] as string);
}

// Column lists -----------------------------------------------------------------------------

/** pColumns (columns=, on_conflict=): field names separated by commas; trailing input ignored. */
export function parseColumns(s: string): string[] {
  const c = new Cursor(s);
  const cols = [requireFieldName(c)];
  for (;;) {
    const save = c.i;
    c.ws();
    if (c.peek() !== ',') { c.i = save; return cols; }
    c.i++;
    c.ws();
    cols.push(requireFieldName(c));
  }
}

export { expecting as formatExpecting };
