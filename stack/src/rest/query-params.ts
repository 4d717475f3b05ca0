import { queryParamError } from './errors.ts';
import {
  GrammarError, parseColumns, parseFilterValue, parseLogicPath, parseLogicTree, parseOrder, parseSelect, parseTreePath,
  type Filter, type LogicTree, type OrderTerm, type SelectItem,
} from './grammar.ts';
import { canonicalQuery, type QueryPair } from './query-string.ts';

/**
 * Query parameters classified as PostgREST does (QueryParams.hs `parse`): reserved
 * `select`, `columns`, `on_conflict`; keys ending in `order`/`limit`/`offset`/`and`/`or`
 * (possibly behind an embed path); everything else is a filter — or, on an RPC read,
 * a function argument when its value has no operator.
 */

export interface PathFilter { path: string[]; filter: Filter }
export interface PathLogic { path: string[]; tree: LogicTree }
export interface PathOrder { path: string[]; terms: OrderTerm[] }

export interface QueryParams {
  canonical: string;
  select: SelectItem[];
  /** True when no `select` was given (the default `*`). */
  defaultSelect: boolean;
  filters: PathFilter[];
  logic: PathLogic[];
  order: PathOrder[];
  /** limit/offset by embed path ('' = top level). */
  limits: Map<string, string>;
  offsets: Map<string, string>;
  columns: string[] | undefined;
  onConflict: string[] | undefined;
  /** RPC read arguments (params without an operator), in order. */
  rpcParams: Array<[string, string]>;
  /** Names of the keys used by filters (PUT checks them against the primary key). */
  filterFields: string[];
}

const RESERVED = new Set(['select', 'columns', 'on_conflict']);
const RESERVED_EMBEDDABLE = new Set(['order', 'limit', 'offset', 'and', 'or']);

const lastSegment = (k: string): string => k.slice(k.lastIndexOf('.') + 1);

/** Run a grammar function, turning a failure into PGRST100 with parsec's message shape. */
function run<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GrammarError) {
      throw queryParamError(`"${source}" (line 1, column ${e.pos + 1})`, e.details);
    }
    throw e;
  }
}

export function parseQueryParams(pairs: QueryPair[], isRpcRead: boolean): QueryParams {
  const nonEmpty = pairs.filter((p): p is { key: string; value: string } => p.value !== null);
  const lookup = (k: string): string | undefined => pairs.find((p) => p.key === k)?.value ?? undefined;

  // Same order as PostgREST, so the first error reported is the same.
  const order: PathOrder[] = nonEmpty.filter((p) => lastSegment(p.key) === 'order').map((p) => {
    const { path } = run(`failed to parse tree path (${p.key})`, () => parseTreePath(p.key));
    const terms = run(`failed to parse order (${p.value})`, () => parseOrder(p.value));
    return { path, terms };
  });

  const logic: PathLogic[] = nonEmpty.filter((p) => ['and', 'or'].includes(lastSegment(p.key))).map((p) => {
    const { path, op } = run(`failed to parse logic path (${p.key})`, () => parseLogicPath(p.key));
    const tree = run(`failed to parse logic tree (${p.value})`, () => parseLogicTree(op + p.value));
    return { path, tree };
  });

  const columnsRaw = lookup('columns');
  const columns = columnsRaw === undefined ? undefined
    : run(`failed to parse columns parameter (${columnsRaw})`, () => parseColumns(columnsRaw));

  const selectRaw = lookup('select');
  const select = run(`failed to parse select parameter (${selectRaw ?? '*'})`, () => parseSelect(selectRaw ?? '*'));

  const filters: PathFilter[] = [];
  const rpcParams: Array<[string, string]> = [];
  const filterFields: string[] = [];
  for (const p of nonEmpty) {
    if (RESERVED.has(p.key) || RESERVED_EMBEDDABLE.has(lastSegment(p.key))) continue;
    filterFields.push(p.key);
    const { path, field } = run(`failed to parse tree path (${p.key})`, () => parseTreePath(p.key));
    if (isRpcRead) {
      try {
        filters.push({ path, filter: { field, expr: parseFilterValue(p.value) } });
      } catch (e) {
        if (!(e instanceof GrammarError)) throw e;
        rpcParams.push([field.name, p.value]);
      }
      continue;
    }
    const expr = run(`failed to parse filter (${p.value})`, () => parseFilterValue(p.value));
    filters.push({ path, filter: { field, expr } });
  }

  const onConflictRaw = lookup('on_conflict');
  const onConflict = onConflictRaw === undefined ? undefined
    : run(`failed to parse on_conflict parameter (${onConflictRaw})`, () => parseColumns(onConflictRaw));

  const limits = new Map<string, string>();
  const offsets = new Map<string, string>();
  for (const p of nonEmpty) {
    const seg = lastSegment(p.key);
    if (seg !== 'limit' && seg !== 'offset') continue;
    const prefix = p.key.slice(0, Math.max(0, p.key.length - seg.length - 1));
    (seg === 'limit' ? limits : offsets).set(prefix, p.value);
  }

  return {
    canonical: canonicalQuery(pairs), select, defaultSelect: selectRaw === undefined,
    filters, logic, order, limits, offsets, columns, onConflict, rpcParams, filterFields,
  };
}
