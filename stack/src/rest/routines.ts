import type pg from 'pg';
import { ambiguousRpc, noRpc } from './errors.ts';
import type { MediaType } from './media.ts';
import { qiKey, splitSetting, type Routine, type RoutineParam, type SchemaCache } from './schema-cache.ts';
import { closest } from './fuzzy.ts';

/**
 * Which functions PostgREST v14 exposes, and how a call picks one of them.
 *
 * Exposure (SchemaCache.hs `funcsSqlQuery`): input parameters come from
 * `unnest(proargnames, proargtypes, proargmodes)`; a function whose parameters are all
 * named (or that has none) is in the cache; one with unnamed parameters only when there
 * is exactly one, of type bytea, json, jsonb, text or xml (the whole body goes to it);
 * any other is left out, as are trigger functions. A function with some named and some
 * unnamed parameters stores `''` names in proargnames, so PostgREST counts them as named.
 *
 * Resolution (Plan.hs `findProc`): overloads are kept in `Ord Routine` order (fewer
 * parameters first); the named-argument matches win, else a one-parameter function whose
 * type fits the POST body's Content-Type; two or more of either ⇒ PGRST203 listing them in
 * that order; none ⇒ PGRST202 with Error.hs's message, details and fuzzy hint.
 */

const ROUTINES_SQL = `
with base_types as (
  with recursive recurse as (
    select oid, typbasetype, coalesce(nullif(typbasetype, 0), oid) as base from pg_catalog.pg_type
    union
    select t.oid, b.typbasetype, coalesce(nullif(b.typbasetype, 0), b.oid) as base
      from recurse t join pg_catalog.pg_type b on t.typbasetype = b.oid
  )
  select oid, base from recurse where typbasetype = 0
),
arguments as (
  select p.oid,
         json_agg(json_build_object(
           'name', coalesce(a.name, ''),
           'type', a.type::regtype::text,
           'required', a.idx <= (p.pronargs - p.pronargdefaults),
           'variadic', coalesce(a.mode = 'v', false)
         ) order by a.idx)::text as args,
         case count(*) - count(a.name)
           when 0 then true
           when 1 then (array_agg(a.type))[1] in ('bytea'::regtype, 'json'::regtype, 'jsonb'::regtype, 'text'::regtype, 'xml'::regtype)
           else false
         end as callable
    from pg_catalog.pg_proc p,
         unnest(p.proargnames, p.proargtypes, p.proargmodes) with ordinality as a (name, type, mode, idx)
   where a.type is not null and p.pronamespace in (select oid from pg_catalog.pg_namespace where nspname = any($1::text[]))
   group by p.oid
)
select pn.nspname as schema, p.proname as name, d.description,
       coalesce(a.args, '[]') as args,
       tn.nspname as ret_schema, coalesce(comp.relname, t.typname) as ret_name,
       pg_catalog.format_type(p.prorettype, null) as return_type,
       p.proretset as setof,
       (t.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false)) as composite,
       comp.relname is not null as returns_relation,
       p.provolatile::text as volatility,
       coalesce(p.proconfig, '{}'::text[]) as config
  from pg_catalog.pg_proc p
  left join arguments a on a.oid = p.oid
  join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
  join base_types bt on bt.oid = p.prorettype
  join pg_catalog.pg_type t on t.oid = bt.base
  join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
  left join pg_catalog.pg_class comp on comp.oid = t.typrelid
  left join pg_catalog.pg_description d on d.objoid = p.oid and d.classoid = 'pg_catalog.pg_proc'::regclass and d.objsubid = 0
 where t.oid <> 'pg_catalog.trigger'::regtype and coalesce(a.callable, true)
   and p.prokind = 'f' and p.pronamespace in (select oid from pg_catalog.pg_namespace where nspname = any($1::text[]))`;

interface RoutineRow {
  schema: string; name: string; description: string | null; args: string; ret_schema: string; ret_name: string;
  return_type: string; setof: boolean; composite: boolean; returns_relation: boolean; volatility: string; config: string[];
}

/** A routine with what `Ord Routine` compares beyond the fields handlers use. */
interface Loaded { routine: Routine; description: string | null; ret: [string, string] }

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpBool = (a: boolean, b: boolean): number => Number(a) - Number(b);
const VOLATILITY_ORDER = { volatile: 0, stable: 1, immutable: 2 } as const;

function cmpParams(a: RoutineParam[], b: RoutineParam[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as RoutineParam;
    const y = b[i] as RoutineParam;
    const c = cmp(x.name, y.name) || cmp(x.type, y.type) || cmpBool(x.required, y.required) || cmpBool(x.variadic, y.variadic);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** `instance Ord Routine`: fewer parameters first, then field by field (Maybe: Nothing < Just). */
function compareLoaded(a: Loaded, b: Loaded): number {
  const x = a.routine;
  const y = b.routine;
  if (x.params.length !== y.params.length) return x.params.length - y.params.length;
  const desc = a.description === b.description ? 0 : a.description === null ? -1 : b.description === null ? 1 : cmp(a.description, b.description);
  return desc || cmpParams(x.params, y.params)
    || cmpBool(x.setOf, y.setOf)
    || cmpBool(x.returns === 'composite', y.returns === 'composite')
    || cmp(a.ret[0], b.ret[0]) || cmp(a.ret[1], b.ret[1])
    || VOLATILITY_ORDER[x.volatility] - VOLATILITY_ORDER[y.volatility];
}

/** The exposed schemas' callable functions by qualified name, overloads in PostgREST's order. */
export async function loadRoutines(
  query: <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>,
  schemas: string[], hoisted: string[],
): Promise<Map<string, Routine[]>> {
  const rows = await query<RoutineRow>(ROUTINES_SQL, [schemas]);
  const grouped = new Map<string, Loaded[]>();
  for (const r of rows.rows) {
    const params = (JSON.parse(r.args) as RoutineParam[]);
    const routine: Routine = {
      schema: r.schema, name: r.name, params, returnType: r.return_type, setOf: r.setof,
      returns: r.ret_schema === 'pg_catalog' && r.ret_name === 'void' ? 'void' : r.composite ? 'composite' : 'scalar',
      returnRelation: r.returns_relation ? { schema: r.ret_schema, name: r.ret_name } : null,
      volatility: r.volatility === 'i' ? 'immutable' : r.volatility === 's' ? 'stable' : 'volatile',
      settings: r.config.map(splitSetting).filter(([k]) => hoisted.includes(k)),
    };
    const key = qiKey(r.schema, r.name);
    const list = grouped.get(key) ?? [];
    list.push({ routine, description: r.description, ret: [r.ret_schema, r.ret_name] });
    grouped.set(key, list);
  }
  return new Map([...grouped].map(([k, list]) => [k, list.sort(compareLoaded).map((l) => l.routine)]));
}

/** The body kinds that name a single-parameter type (findProc's hasSingleUnnamedParam). */
function bodyParamType(ct: MediaType): string[] {
  switch (ct.kind) {
    case 'json': return ['json', 'jsonb'];
    case 'text': return ['text'];
    case 'xml': return ['xml'];
    case 'octet': return ['bytea'];
    default: return [];
  }
}

/** True when a one-parameter function takes the whole POST body (its name does not matter). */
export function takesWholeBody(r: Routine, isPost: boolean, ct: MediaType): boolean {
  const only = r.params.length === 1 ? r.params[0] : undefined;
  return isPost && only !== undefined && bodyParamType(ct).includes(only.type);
}

const rawBody = (ct: MediaType): boolean => ct.kind === 'octet' || ct.kind === 'text' || ct.kind === 'xml';

function matchesParams(r: Routine, keys: Set<string>, isPost: boolean, ct: MediaType): boolean {
  if (r.params.length === 0) return keys.size === 0 && !(isPost && rawBody(ct));
  const req = r.params.filter((x) => x.required).map((x) => x.name);
  const opt = new Set(r.params.filter((x) => !x.required).map((x) => x.name));
  const rest = [...keys].filter((k) => !opt.has(k));
  return rest.length === new Set(req).size && req.every((n) => keys.has(n));
}

const byName = (a: string, b: string): number => cmp(a, b);

/** PGRST202 as Error.hs words it; the hint only when the body is not a single raw value. */
function noRpcError(schema: string, name: string, keys: string[], isPost: boolean, ct: MediaType, cache: SchemaCache, overloads: Routine[]): ReturnType<typeof noRpc> {
  const onlySingle = isPost && rawBody(ct);
  const fn = `${schema}.${name}`;
  const prms = keys.join(', ');
  const fmt = (s: string): string => (keys.length === 0 ? ' without parameters' : s);
  const message = `Could not find the function ${fn}${onlySingle ? '' : fmt(`(${prms})`)} in the schema cache`;
  const prmsDet = ` with parameter${keys.length > 1 ? 's ' : ' '}${prms}`;
  let det: string;
  if (isPost && ct.kind === 'text') det = ' with a single unnamed text parameter';
  else if (isPost && ct.kind === 'xml') det = ' with a single unnamed xml parameter';
  else if (isPost && ct.kind === 'octet') det = ' with a single unnamed bytea parameter';
  else if (isPost && ct.kind === 'json') det = `${fmt(prmsDet)} or with a single unnamed json/jsonb parameter`;
  else det = fmt(prmsDet);
  const details = `Searched for the function ${fn}${det}, but no matches were found in the schema cache.`;
  let hint: string | null = null;
  if (!onlySingle) {
    if (overloads.length === 0) {
      // getFuzzyHint HintProcedure: names of the schema's functions, score ≥ 0.75.
      const names = [...new Set([...cache.routines.values()].flat().filter((r) => r.schema === schema).map((r) => r.name))];
      const m = closest(name, names);
      if (m !== undefined) hint = `Perhaps you meant to call the function ${schema}.${m}`;
    } else {
      // getFuzzyHint HintParams: "(a, b)" parameter lists of the overloads, score ≥ 0.33.
      const list = (ps: string[]): string => `(${[...ps].sort(byName).join(', ')})`;
      const m = closest(list(keys), overloads.map((o) => list(o.params.map((x) => x.name))), 0.33);
      if (m !== undefined) hint = `Perhaps you meant to call the function ${schema}.${name}${m}`;
    }
  }
  return noRpc(message, details, hint);
}

/** AmbiguousRpc: every candidate as `schema.name(p => type, …)`, in cache order. */
function ambiguousError(found: Routine[]): ReturnType<typeof ambiguousRpc> {
  return ambiguousRpc(`Could not choose the best candidate function between: ${found.map((r) =>
    `${r.schema}.${r.name}(${r.params.map((x) => `${x.name} => ${x.type}`).join(', ')})`).join(', ')}`);
}

export type Resolution = { routine: Routine } | { error: ReturnType<typeof noRpc> };

/** findProc over one cache snapshot: a routine, or the PGRST202/PGRST203 to answer. */
export function resolveRoutine(cache: SchemaCache, schema: string, name: string, keys: Set<string>, isPost: boolean, ct: MediaType): Resolution | 'none' {
  const overloads = cache.routines.get(qiKey(schema, name)) ?? [];
  const matched: Routine[] = [];
  const fallback: Routine[] = [];
  for (const r of overloads) {
    if (matchesParams(r, keys, isPost, ct)) matched.push(r);
    else if (takesWholeBody(r, isPost, ct)) fallback.push(r);
  }
  const pick = matched.length > 0 ? matched : fallback;
  if (pick.length === 1) return { routine: pick[0] as Routine };
  if (pick.length > 1) return { error: ambiguousError(pick) };
  return 'none';
}

/** PGRST202 for a call no routine of the cache answers. */
export function notFound(cache: SchemaCache, schema: string, name: string, keys: Set<string>, isPost: boolean, ct: MediaType): ReturnType<typeof noRpc> {
  return noRpcError(schema, name, [...keys].sort(byName), isPost, ct, cache, cache.routines.get(qiKey(schema, name)) ?? []);
}
