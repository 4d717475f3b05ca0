import pg from 'pg';
import type { Logger } from '../log.ts';
import { buildRelationships, type QI, type RelationshipsMap, type ViewColumnSource } from './relationships.ts';

/**
 * PostgREST's schema cache: the exposed schemas' tables, views and their columns,
 * primary keys, relationships for resource embedding (relationships.ts), and
 * functions with their named parameters, overloads, return shapes and volatility;
 * plus role settings, time zone names and type names for `::cast` checks.
 *
 * Reloaded on `NOTIFY pgrst, 'reload schema'` (sent by the `pgrst_ddl_watch` /
 * `pgrst_drop_watch` event triggers Supabase installs, which the REST service installs
 * here too), and — coalesced and rate-limited — when a request names a table,
 * function or column the cache does not know, so DDL that just committed is seen.
 */

export interface Column {
  name: string;
  /** format_type(atttypid, atttypmod), schema-qualified outside pg_catalog. */
  type: string;
  /** The type name after resolving domains (json/jsonb/tsvector decide SQL shapes). */
  baseType: string;
  nullable: boolean;
  /** pg_get_expr of the column default (catalog text, used for missing=default). */
  default: string | null;
}

export interface Table {
  schema: string;
  name: string;
  kind: string;
  columns: Map<string, Column>;
  columnList: Column[];
  pk: string[];
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
}

export interface RoutineParam {
  name: string;
  type: string;
  required: boolean;
  variadic: boolean;
}

export interface Routine {
  schema: string;
  name: string;
  params: RoutineParam[];
  returnType: string;
  setOf: boolean;
  /** void → 204; scalar → pgrst_scalar; composite → rows/objects. */
  returns: 'void' | 'scalar' | 'composite';
  /** The table/view whose row type the function returns, if any. */
  returnRelation: { schema: string; name: string } | null;
  volatility: 'volatile' | 'stable' | 'immutable';
  /** Hoisted settings (statement_timeout, …) applied with set_config for the call. */
  settings: Array<[string, string]>;
}

export interface SchemaCache {
  tables: Map<string, Table>;
  routines: Map<string, Routine[]>;
  relationships: RelationshipsMap;
  roleSettings: Map<string, Array<[string, string]>>;
  timezones: Set<string>;
  /** Lower-cased type names a `::cast` may use. */
  typeNames: Set<string>;
  loadedAt: number;
}

export const qiKey = (schema: string, name: string): string => `${schema}\u0000${name}`;

/** SQL-standard spellings PostgreSQL accepts besides pg_type names. */
const TYPE_ALIASES = ['int', 'integer', 'smallint', 'bigint', 'real', 'double precision', 'float', 'decimal', 'dec', 'numeric',
  'boolean', 'character varying', 'varchar', 'character', 'char', 'timestamp', 'timestamp with time zone',
  'timestamp without time zone', 'time', 'time with time zone', 'time without time zone', 'interval', 'bit varying', 'national character',
  'nchar', 'text', 'json', 'jsonb'];

const RELATIONS_SQL = `
select n.nspname as schema, c.relname as name, c.relkind::text as kind,
       pg_catalog.pg_relation_is_updatable(c.oid, true) as updatable_bits,
       coalesce((select json_agg(json_build_object(
                   'name', a.attname,
                   'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'baseType', pg_catalog.format_type(case when t.typtype = 'd' then t.typbasetype else a.atttypid end, null),
                   'nullable', not a.attnotnull,
                   'default', case when a.atthasdef and a.attgenerated = '' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end
                 ) order by a.attnum)
          from pg_catalog.pg_attribute a
          join pg_catalog.pg_type t on t.oid = a.atttypid
          left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]'::json)::text as columns,
       coalesce((select json_agg(a.attname order by array_position(con.conkey, a.attnum))
          from pg_catalog.pg_constraint con
          join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = any(con.conkey)
         where con.conrelid = c.oid and con.contype = 'p'), '[]'::json)::text as pk
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'f', 'p')`;

const ROUTINES_SQL = `
select n.nspname as schema, p.proname as name, p.provolatile::text as volatility, p.proretset as setof,
       pg_catalog.format_type(p.prorettype, null) as return_type,
       rt.typtype::text as return_typtype,
       rn.nspname as return_rel_schema, rc.relname as return_rel_name,
       p.pronargs as nargs, p.pronargdefaults as ndefaults,
       coalesce(p.proargnames, '{}'::text[]) as arg_names,
       coalesce(p.proargmodes::text[], '{}'::text[]) as arg_modes,
       coalesce((select array_agg(pg_catalog.format_type(u.t, null) order by u.o)
                   from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as u(t, o)), '{}'::text[]) as arg_types,
       coalesce(p.proconfig, '{}'::text[]) as config
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_type rt on rt.oid = p.prorettype
  left join pg_catalog.pg_class rc on rc.oid = rt.typrelid and rt.typtype = 'c'
  left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
 where n.nspname = any($1::text[]) and p.prokind = 'f'`;

// Every foreign key (views over tables of other schemas follow them too), with its column
// pairs and whether its columns are exactly a primary key or unique constraint (one-to-one).
const FKEYS_SQL = `
select n.nspname as schema, c.relname as "table", fn.nspname as foreign_schema, f.relname as foreign_table,
       con.conname as constraint,
       (select array_agg(a.attname order by k.o) from unnest(con.conkey) with ordinality k(n, o)
          join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n)::text[] as columns,
       (select array_agg(a.attname order by k.o) from unnest(con.confkey) with ordinality k(n, o)
          join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n)::text[] as foreign_columns,
       exists (select 1 from pg_catalog.pg_constraint u
                where u.conrelid = con.conrelid and u.contype in ('p', 'u')
                  and (select array_agg(x order by x) from unnest(u.conkey) x) = (select array_agg(x order by x) from unnest(con.conkey) x)) as one_to_one
  from pg_catalog.pg_constraint con
  join pg_catalog.pg_class c on c.oid = con.conrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_class f on f.oid = con.confrelid
  join pg_catalog.pg_namespace fn on fn.oid = f.relnamespace
 where con.contype = 'f' and con.conparentid = 0 and n.nspname not in ('pg_catalog', 'information_schema')
 order by con.conrelid, con.conname`;

// Computed relationships: one-argument functions from a relation's row type to another's.
const COMPUTED_RELS_SQL = `
select pn.nspname as schema, p.proname as name, an.nspname as table_schema, at.typname as table_name,
       rn.nspname as foreign_schema, rt.typname as foreign_table, (not p.proretset or p.prorows = 1) as single_row
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
  join pg_catalog.pg_type at on at.oid = p.proargtypes[0]
  join pg_catalog.pg_namespace an on an.oid = at.typnamespace
  join pg_catalog.pg_type rt on rt.oid = p.prorettype
  join pg_catalog.pg_namespace rn on rn.oid = rt.typnamespace
 where p.pronargs = 1 and pn.nspname = any($1::text[])
   and exists (select 1 from pg_catalog.pg_class r where r.oid = at.typrelid and r.relkind in ('v', 'r', 'm', 'f', 'p'))
   and exists (select 1 from pg_catalog.pg_class r where r.oid = rt.typrelid and r.relkind in ('v', 'r', 'm', 'f', 'p'))`;

// View columns that are plain references to another relation's column: the target entries of
// the view's _RETURN rule (resorigtbl/resorigcol), kept only where the entry names the view
// column at that position (entries of subqueries and sublinks do not).
const VIEW_COLUMNS_SQL = `
select vn.nspname as view_schema, v.relname as view_name, va.attname as view_column,
       tn.nspname as table_schema, t.relname as table_name, ta.attname as table_column
  from pg_catalog.pg_class v
  join pg_catalog.pg_namespace vn on vn.oid = v.relnamespace
  join pg_catalog.pg_rewrite r on r.ev_class = v.oid and r.rulename = '_RETURN'
  cross join lateral regexp_matches(r.ev_action::text,
    ':resno (\\d+) :resname (\\S+) :ressortgroupref \\d+ :resorigtbl (\\d+) :resorigcol (\\d+)', 'g') m
  join pg_catalog.pg_attribute va on va.attrelid = v.oid and va.attnum = m[1]::int and va.attname = m[2]
  join pg_catalog.pg_class t on t.oid = m[3]::oid
  join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
  join pg_catalog.pg_attribute ta on ta.attrelid = t.oid and ta.attnum = m[4]::int
 where v.relkind in ('v', 'm') and vn.nspname not in ('pg_catalog', 'information_schema')`;

const ROLE_SETTINGS_SQL = `
select r.rolname as role, s.setconfig as config, s.setdatabase <> 0 as db_specific
  from pg_catalog.pg_db_role_setting s
  join pg_catalog.pg_roles r on r.oid = s.setrole
 where s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
 order by db_specific`;

const TYPES_SQL = `
select distinct lower(t.typname) as name
  from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
 where n.nspname = any($1::text[]) or n.nspname = 'pg_catalog'`;

function splitSetting(s: string): [string, string] {
  const eq = s.indexOf('=');
  return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
}

interface FkRowRaw {
  schema: string; table: string; foreign_schema: string; foreign_table: string; constraint: string;
  columns: string[] | null; foreign_columns: string[] | null; one_to_one: boolean;
}

/**
 * Follows view columns through views of views down to a base relation's column; a view
 * column whose entry is ambiguous (several different origins) is dropped.
 */
function resolveViewColumns(direct: ViewColumnSource[]): ViewColumnSource[] {
  const key = (t: QI, c: string): string => `${qiKey(t.schema, t.name)}\u0000${c}`;
  const origins = new Map<string, ViewColumnSource[]>();
  for (const d of direct) origins.set(key(d.view, d.viewColumn), [...(origins.get(key(d.view, d.viewColumn)) ?? []), d]);
  const out: ViewColumnSource[] = [];
  for (const list of origins.values()) {
    const distinct = new Set(list.map((d) => key(d.table, d.column)));
    if (distinct.size !== 1) continue;
    let src = list[0] as ViewColumnSource;
    const seen = new Set<string>();
    // A view over a view: keep walking while the origin is itself a known view column.
    for (;;) {
      const next = origins.get(key(src.table, src.column));
      const k = key(src.table, src.column);
      if (!next || next.length !== 1 || seen.has(k)) break;
      seen.add(k);
      const n = next[0] as ViewColumnSource;
      src = { view: src.view, viewColumn: src.viewColumn, table: n.table, column: n.column };
    }
    out.push(src);
  }
  return out;
}

interface RelationRow { schema: string; name: string; kind: string; updatable_bits: number; columns: string; pk: string }
interface RoutineRow {
  schema: string; name: string; volatility: string; setof: boolean; return_type: string; return_typtype: string;
  return_rel_schema: string | null; return_rel_name: string | null; nargs: number; ndefaults: number;
  arg_names: string[]; arg_modes: string[]; arg_types: string[]; config: string[];
}

export async function loadSchemaCache(client: pg.ClientBase, schemas: string[], extraSearchPath: string[], hoisted: string[]): Promise<SchemaCache> {
  // format_type qualifies every type outside pg_catalog when the search_path is empty.
  // The pool returns raw text; catalog queries want arrays and booleans parsed.
  const q = <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> =>
    client.query<R>({ text, values, types: pg.types });
  await client.query('begin read only');
  try {
    await client.query(`select set_config('search_path', '', true)`);
    const rel = await q<RelationRow>(RELATIONS_SQL, [schemas]);
    const rout = await q<RoutineRow>(ROUTINES_SQL, [schemas]);
    const fks = await q<FkRowRaw>(FKEYS_SQL);
    const computed = await q<{ schema: string; name: string; table_schema: string; table_name: string; foreign_schema: string; foreign_table: string; single_row: boolean }>(COMPUTED_RELS_SQL, [schemas]);
    const viewCols = await q<{ view_schema: string; view_name: string; view_column: string; table_schema: string; table_name: string; table_column: string }>(VIEW_COLUMNS_SQL);
    const roles = await q<{ role: string; config: string[] }>(ROLE_SETTINGS_SQL);
    const tz = await q<{ name: string }>('select name from pg_catalog.pg_timezone_names');
    const types = await q<{ name: string }>(TYPES_SQL, [[...schemas, ...extraSearchPath]]);

    const tables = new Map<string, Table>();
    for (const r of rel.rows) {
      const columnList = (JSON.parse(r.columns) as Column[]).map((c) => ({ ...c, default: c.default ?? null }));
      const bits = r.kind === 'r' || r.kind === 'p' ? 0b11100 : Number(r.updatable_bits);
      tables.set(qiKey(r.schema, r.name), {
        schema: r.schema, name: r.name, kind: r.kind,
        columns: new Map(columnList.map((c) => [c.name, c])), columnList,
        pk: JSON.parse(r.pk) as string[],
        insertable: (bits & 8) !== 0, updatable: (bits & 4) !== 0, deletable: (bits & 16) !== 0,
      });
    }

    const routines = new Map<string, Routine[]>();
    for (const r of rout.rows) {
      const modes = r.arg_modes.length ? r.arg_modes : r.arg_types.map(() => 'i');
      const inputs: RoutineParam[] = [];
      let hasOut = false;
      modes.forEach((m, k) => {
        if (m === 'o' || m === 't') { hasOut = true; return; }
        if (m === 'b') hasOut = true;
        inputs.push({ name: r.arg_names[k] ?? '', type: r.arg_types[k] ?? 'unknown', required: false, variadic: m === 'v' });
      });
      const firstOptional = Number(r.nargs) - Number(r.ndefaults);
      inputs.forEach((p, k) => { p.required = k < firstOptional; });
      const composite = r.return_typtype === 'c' || (r.return_type === 'record' && hasOut);
      const settings = r.config.map(splitSetting).filter(([k]) => hoisted.includes(k));
      const routine: Routine = {
        schema: r.schema, name: r.name, params: inputs, returnType: r.return_type, setOf: r.setof,
        returns: r.return_type === 'void' ? 'void' : composite ? 'composite' : 'scalar',
        returnRelation: r.return_rel_schema && r.return_rel_name ? { schema: r.return_rel_schema, name: r.return_rel_name } : null,
        volatility: r.volatility === 'i' ? 'immutable' : r.volatility === 's' ? 'stable' : 'volatile',
        settings,
      };
      const key = qiKey(r.schema, r.name);
      const list = routines.get(key);
      if (list) list.push(routine); else routines.set(key, [routine]);
    }

    const roleSettings = new Map<string, Array<[string, string]>>();
    for (const r of roles.rows) {
      const merged = new Map(roleSettings.get(r.role) ?? []);
      for (const s of r.config ?? []) { const [k, v] = splitSetting(s); merged.set(k, v); }
      roleSettings.set(r.role, [...merged]);
    }

    await client.query('commit');
    return {
      tables, routines,
      relationships: buildRelationships({
        fks: fks.rows.map((f) => ({
          table: { schema: f.schema, name: f.table }, foreignTable: { schema: f.foreign_schema, name: f.foreign_table },
          constraint: f.constraint, columns: (f.columns ?? []).map((c, i) => [c, f.foreign_columns?.[i] ?? '']), oneToOne: f.one_to_one,
        })),
        viewColumns: resolveViewColumns(viewCols.rows.map((v) => ({
          view: { schema: v.view_schema, name: v.view_name }, viewColumn: v.view_column,
          table: { schema: v.table_schema, name: v.table_name }, column: v.table_column,
        }))),
        computed: computed.rows.map((c) => ({
          fn: { schema: c.schema, name: c.name }, table: { schema: c.table_schema, name: c.table_name },
          foreignTable: { schema: c.foreign_schema, name: c.foreign_table }, singleRow: c.single_row,
        })),
        pkOf: (t: QI) => tables.get(qiKey(t.schema, t.name))?.pk ?? [],
      }),
      roleSettings,
      timezones: new Set(tz.rows.map((r) => r.name)),
      typeNames: new Set([...types.rows.map((r) => r.name), ...TYPE_ALIASES]),
      loadedAt: Date.now(),
    };
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  }
}

/** Minimum time between reloads triggered by cache misses (a miss storm must not become a reload storm). */
export const MISS_RELOAD_INTERVAL_MS = 250;

/**
 * Holds the current cache; reloads are coalesced (one in flight, at most one queued).
 */
export class SchemaCacheHolder {
  private cache: SchemaCache | undefined;
  private inFlight: Promise<void> | undefined;
  private queued = false;
  private lastMissReload = 0;
  private closed = false;

  constructor(private readonly load: () => Promise<SchemaCache>, private readonly log: Logger) {}

  get current(): SchemaCache | undefined { return this.cache; }

  /** Request a reload; resolves when a load that started after this call has finished. */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.inFlight) {
      // The running loop loads once more before it settles.
      this.queued = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        do {
          this.queued = false;
          this.cache = await this.load();
        } while (this.queued && !this.closed);
      } catch (e) {
        this.log.error('schema cache load failed', { error: String(e) });
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** No more reloads (the pool is closing); waits for one in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight;
  }

  /**
   * On a miss: wait for a reload in flight, or start one unless one was started by a
   * miss very recently. Returns the (possibly refreshed) cache.
   */
  async refreshAfterMiss(): Promise<SchemaCache | undefined> {
    if (this.inFlight) await this.inFlight;
    else if (Date.now() - this.lastMissReload >= MISS_RELOAD_INTERVAL_MS) {
      this.lastMissReload = Date.now();
      await this.reload();
    }
    return this.cache;
  }
}

/** Supabase's event triggers that ask PostgREST to reload its schema cache after DDL. */
export const DDL_WATCH_SQL = `
create schema if not exists extensions;
create or replace function extensions.pgrst_ddl_watch() returns event_trigger language plpgsql as $$
declare
  cmd record;
begin
  for cmd in select * from pg_event_trigger_ddl_commands()
  loop
    if cmd.command_tag in (
      'CREATE SCHEMA', 'ALTER SCHEMA', 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE',
      'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE VIEW', 'ALTER VIEW', 'CREATE MATERIALIZED VIEW',
      'ALTER MATERIALIZED VIEW', 'CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE TRIGGER', 'CREATE TYPE', 'ALTER TYPE',
      'CREATE RULE', 'COMMENT')
      and cmd.schema_name is distinct from 'pg_temp'
    then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end; $$;
create or replace function extensions.pgrst_drop_watch() returns event_trigger language plpgsql as $$
declare
  obj record;
begin
  for obj in select * from pg_event_trigger_dropped_objects()
  loop
    if obj.object_type in ('schema', 'table', 'foreign table', 'view', 'materialized view', 'function', 'trigger', 'type', 'rule')
      and obj.is_temporary is false
    then
      notify pgrst, 'reload schema';
    end if;
  end loop;
end; $$;
do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end execute procedure extensions.pgrst_ddl_watch();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    create event trigger pgrst_drop_watch on sql_drop execute procedure extensions.pgrst_drop_watch();
  end if;
end $$;`;
