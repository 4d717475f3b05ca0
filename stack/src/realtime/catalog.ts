/**
 * What Realtime needs to know about tables, types and roles: column order and
 * pg_type names (for `columns`), primary keys, whether RLS is on, which claims the
 * SELECT policies read (policy-claims.ts), per-role column privileges, and the
 * publication's tables. Cached; stale entries are served while a refresh runs, and a
 * relation re-described by the replication stream is reloaded before use.
 */
import type { Db } from './db.ts';
import type { Logger } from '../log.ts';
import { CHANGES_PUBLICATION } from './constants.ts';
import { kindFor, type PgType } from './pg-values.ts';
import { claimPathsOf, mergeClaimPaths, type ClaimPaths } from './policy-claims.ts';
import { policyInputs, rowIndependentFunctions } from './policy-purity.ts';
import { parseRlsFacts, RlsFactsHistory, type PolicyFact, type RlsFacts } from './rls-facts.ts';

export interface ColumnInfo {
  name: string;
  attnum: number;
  type: PgType;
}

export interface TableInfo {
  oid: number;
  schema: string;
  name: string;
  columns: ColumnInfo[];
  byName: Map<string, ColumnInfo>;
  /** Primary-key columns in key order (empty: no primary key). */
  pk: string[];
  rls: boolean;
  /** RLS facts these fields were derived from (rls-facts.ts): for one position of the stream. */
  facts: RlsFacts;
  /** Claims the table's SELECT policies can read. */
  claimPaths: ClaimPaths;
  /**
   * The columns whose values, with the role and claims, decide the SELECT policies'
   * verdict (policy-purity.ts) — then a change is authorized from its WAL tuple and the
   * verdict is cached; null when the policies may read anything else (other tables,
   * the time, settings, user-defined functions): each change is probed by primary key.
   */
  verdictColumns: string[] | null;
  /** The facts cached verdicts are computed from: `facts` without the gate's policies. */
  verdictFacts: RlsFacts;
  /**
   * Restrictive policies that read no column of the row but are not pure (the cut-off's
   * `(select rls.token_account_active())` reads auth.users): evaluated per group
   * (authorizer.ts realtime.embedded_policy_gates) and kept only until what they read
   * changes; as facts holding only those policies. Null: none.
   */
  gate: RlsFacts | null;
}

export interface RolePrivileges {
  exists: boolean;
  bypassRls: boolean;
  selectable: Set<string>;
}

interface Entry<T> { value: T; loadedAt: number; refreshing?: Promise<T> }

const TTL_MS = 5_000;

type TypeRow = { oid: number; typname: string; typtype: string; typcategory: string; typelem: number; typdelim: string; typbasetype: number; typrelid: number };

export class Catalog {
  private readonly tables = new Map<number, Entry<TableInfo | undefined>>();
  private readonly privileges = new Map<string, Entry<RolePrivileges>>();
  private readonly types = new Map<number, PgType>();
  private builtins: Entry<Set<string>> | undefined;
  private publication: Entry<Array<{ schema: string; table: string }>> | undefined;
  /** Invalidations per table oid: a load that started before one must not store its result. */
  private readonly invalidations = new Map<number, number>();
  /** First loads in flight, shared by concurrent callers (batches prepared in parallel, joins). */
  private readonly loading = new Map<string | number, Promise<unknown>>();
  /** RLS facts by WAL position (rls-facts.ts). */
  private readonly history = new RlsFactsHistory();
  /** A loaded table's facts viewed with other RLS facts (tableAt), one object per pair. */
  private readonly views = new WeakMap<TableInfo, Map<RlsFacts, Promise<TableInfo>>>();

  constructor(private readonly sql: Db, private readonly log: Logger) {}

  /** Keys are a table oid or `${oid}:${role}`. */
  private stamp(key: string | number): number {
    return this.invalidations.get(typeof key === 'number' ? key : Number.parseInt(key, 10)) ?? 0;
  }

  private cached<T>(map: Map<string | number, Entry<T>>, key: string | number, load: () => Promise<T>, fresh = false): Promise<T> {
    const e = map.get(key);
    const now = Date.now();
    // A refresh that was already running when the stream re-described the table read the
    // catalog before the DDL: storing it would bring back stale policies for up to TTL_MS.
    const stamp = this.stamp(key);
    const store = (v: T): T => { if (this.stamp(key) === stamp) map.set(key, { value: v, loadedAt: Date.now() }); return v; };
    if (e && !fresh) {
      if (now - e.loadedAt > TTL_MS && !e.refreshing) {
        e.refreshing = load().then(store)
          .catch((err: unknown) => { this.log.warn('catalog refresh failed', { key: String(key), error: String(err) }); e.refreshing = undefined; return e.value; });
      }
      return Promise.resolve(e.value);
    }
    const inflight = fresh ? undefined : this.loading.get(key) as Promise<T> | undefined;
    if (inflight) return inflight;
    const p: Promise<T> = load().then(store).finally(() => { if (this.loading.get(key) === p) this.loading.delete(key); });
    this.loading.set(key, p);
    return p;
  }

  /** Table facts by oid; `fresh` forces a reload (the relation changed). */
  table(oid: number, fresh = false): Promise<TableInfo | undefined> {
    return this.cached(this.tables as Map<string | number, Entry<TableInfo | undefined>>, oid, () => this.loadTable(oid), fresh);
  }

  /**
   * The table as a change committed at `lsn` must be judged: columns and keys as loaded,
   * RLS facts as in effect at that position of the stream (rls-facts.ts).
   */
  async tableAt(oid: number, lsn: bigint): Promise<TableInfo | undefined> {
    const base = await this.table(oid);
    if (!base) { this.history.forget(oid); return undefined; }
    this.history.seed(oid, base.facts);
    const facts = this.history.at(oid, lsn)!;
    if (facts === base.facts) return base;
    let byFacts = this.views.get(base);
    if (!byFacts) { byFacts = new Map(); this.views.set(base, byFacts); }
    let view = byFacts.get(facts);
    if (!view) {
      view = this.rlsView(base.columns, facts).then((rls) => ({ ...base, ...rls }));
      view.catch(() => byFacts.delete(facts));
      byFacts.set(facts, view);
    }
    return view;
  }

  /** In stream order: a DDL committed at `lsn` left the table with these RLS facts. */
  noteRlsFacts(oid: number, lsn: bigint, facts: RlsFacts): void {
    this.history.note(oid, lsn, facts);
  }

  async tableByName(schema: string, name: string): Promise<TableInfo | undefined> {
    const rows = await this.sql<{ oid: number }>`
      select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${schema} and c.relname = ${name}`;
    return rows[0] ? this.table(rows[0].oid) : undefined;
  }

  invalidate(oid: number): void {
    this.invalidations.set(oid, (this.invalidations.get(oid) ?? 0) + 1);
    this.tables.delete(oid);
    for (const key of this.privileges.keys()) if (key.startsWith(`${oid}:`)) this.privileges.delete(key);
    for (const key of this.loading.keys()) if (key === oid || (typeof key === 'string' && key.startsWith(`${oid}:`))) this.loading.delete(key);
  }

  private async loadTable(oid: number): Promise<TableInfo | undefined> {
    const rel = await this.sql<{ schema: string; name: string; rls: boolean }>`
      select n.nspname as schema, c.relname as name, c.relrowsecurity as rls
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = ${oid}`;
    if (!rel[0]) return undefined;
    const cols = await this.sql<{ name: string; attnum: number; typ: number }>`
      select attname as name, attnum::int as attnum, atttypid::int as typ from pg_attribute
       where attrelid = ${oid} and attnum > 0 and not attisdropped order by attnum`;
    const pk = await this.sql<{ name: string }>`
      select a.attname as name
        from pg_index i
        cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
       where i.indrelid = ${oid} and i.indisprimary order by k.ord`;
    const [row] = await this.sql<{ facts: unknown }>`select realtime.embedded_rls_facts(${oid}) as facts`;
    const facts = parseRlsFacts(row?.facts)?.facts;
    if (!facts) throw new Error(`unreadable RLS facts for table ${oid}`);
    // The first facts read (usually a join's warm-up, before any change) cover the stream
    // until the first DDL the event trigger reports; later loads read "now" and never
    // rewrite that history (rls-facts.ts).
    this.history.seed(oid, facts);
    const types = await this.resolveTypes(cols.map((c) => c.typ));
    const columns = cols.map((c) => ({ name: c.name, attnum: c.attnum, type: types.get(c.typ) ?? { oid: c.typ, name: 'unknown', kind: 'string' as const } }));
    return {
      oid,
      schema: rel[0].schema,
      name: rel[0].name,
      columns,
      byName: new Map(columns.map((c) => [c.name, c])),
      pk: pk.map((p) => p.name),
      ...await this.rlsView(columns, facts),
    };
  }

  /** What the RLS facts mean for Realtime: claim paths (groups) and verdict columns (purity). */
  private async rlsView(cols: ColumnInfo[], facts: RlsFacts): Promise<Pick<TableInfo, 'rls' | 'facts' | 'claimPaths' | 'verdictColumns' | 'verdictFacts' | 'gate'>> {
    const builtins = await this.builtinFunctions();
    const base = { rls: facts.rls, facts, claimPaths: mergeClaimPaths(facts.policies.map((p) => claimPathsOf(p.qual, (n) => builtins.has(n)))) };
    const verdictColumns = await this.verdictColumns(facts.policies.map((p) => p.tree), cols);
    if (verdictColumns !== null) return { ...base, verdictColumns, verdictFacts: facts, gate: null };
    // Not pure as a whole: pure once the row-independent restrictive policies are set apart?
    const gated = await this.gatePolicies(facts.policies);
    if (gated.length === 0) return { ...base, verdictColumns: null, verdictFacts: facts, gate: null };
    const rest = facts.policies.filter((p) => !gated.includes(p));
    const restColumns = await this.verdictColumns(rest.map((p) => p.tree), cols);
    if (restColumns === null) return { ...base, verdictColumns: null, verdictFacts: facts, gate: null };
    return { ...base, verdictColumns: restColumns, verdictFacts: { ...facts, policies: rest }, gate: { ...facts, policies: gated } };
  }

  /**
   * Restrictive policies whose expression reads no column of the row (policy-purity.ts
   * rowIndependentFunctions) and calls no volatile function: one value per group at a
   * time, whichever row. (A volatile one could differ row by row: it keeps the probe.)
   */
  private async gatePolicies(policies: PolicyFact[]): Promise<PolicyFact[]> {
    const candidates = policies.flatMap((p) => {
      const fns = !p.permissive && p.qual !== null && p.tree !== null ? rowIndependentFunctions(p.tree) : null;
      return fns ? [{ p, fns }] : [];
    });
    const fns = [...new Set(candidates.flatMap((c) => c.fns))];
    if (fns.length === 0) return candidates.map((c) => c.p);
    const rows = await this.sql<{ oid: number }>`select oid::int as oid from pg_proc where oid = any(${fns}::oid[]) and provolatile <> 'v'`;
    const ok = new Set(rows.map((r) => r.oid));
    return candidates.filter((c) => c.fns.every((f) => ok.has(f))).map((c) => c.p);
  }

  /**
   * TableInfo.verdictColumns: pure expression nodes (policyInputs) calling only immutable
   * built-in functions (internal or C: they cannot read tables) and the claim readers
   * auth.uid/role/email/jwt (whose values are part of the RLS group key).
   */
  private async verdictColumns(trees: Array<string | null>, cols: Array<{ name: string; attnum: number }>): Promise<string[] | null> {
    const inputs = policyInputs(trees);
    if (!inputs) return null;
    if (inputs.functions.length > 0) {
      const ok = await this.sql<{ oid: number }>`
        select p.oid::int as oid from pg_proc p join pg_language l on l.oid = p.prolang
         where p.oid = any(${inputs.functions}::oid[])
           and ((p.provolatile = 'i' and l.lanname in ('internal', 'c'))
             or (p.pronamespace = (select oid from pg_namespace where nspname = 'auth') and p.proname in ('uid', 'role', 'email', 'jwt')))`;
      if (ok.length !== inputs.functions.length) return null;
    }
    const names = inputs.attnums.map((n) => cols.find((c) => c.attnum === n)?.name);
    return names.every((n): n is string => n !== undefined) ? names : null;
  }

  /** Column SELECT privileges and RLS bypass for a role on a table. */
  rolePrivileges(table: TableInfo, role: string): Promise<RolePrivileges> {
    return this.cached(this.privileges as Map<string | number, Entry<RolePrivileges>>, `${table.oid}:${role}`, async () => {
      const r = await this.sql<{ bypass: boolean }>`select rolbypassrls or rolsuper as bypass from pg_roles where rolname = ${role}`;
      if (!r[0]) return { exists: false, bypassRls: false, selectable: new Set<string>() };
      const cols = await this.sql<{ name: string; sel: boolean }>`
        select a.attname as name, has_column_privilege(${role}, a.attrelid, a.attname, 'SELECT') as sel
          from pg_attribute a where a.attrelid = ${table.oid} and a.attnum > 0 and not a.attisdropped`;
      return { exists: true, bypassRls: r[0].bypass, selectable: new Set(cols.filter((c) => c.sel).map((c) => c.name)) };
    });
  }

  /** Tables in the supabase_realtime publication (cached for a second unless `fresh`). */
  async publicationTables(fresh = false): Promise<Array<{ schema: string; table: string }>> {
    if (!fresh && this.publication && Date.now() - this.publication.loadedAt < 1_000) return this.publication.value;
    const rows = await this.sql<{ schema: string; table: string }>`
      select schemaname as schema, tablename as table from pg_publication_tables where pubname = ${CHANGES_PUBLICATION}`;
    const value = rows.map((r) => ({ schema: r.schema, table: r.table }));
    this.publication = { value, loadedAt: Date.now() };
    return value;
  }

  async roleExists(role: string): Promise<boolean> {
    const r = await this.sql`select 1 from pg_roles where rolname = ${role}`;
    return r.length > 0;
  }

  private async builtinFunctions(): Promise<Set<string>> {
    if (this.builtins && Date.now() - this.builtins.loadedAt < 60_000) return this.builtins.value;
    const rows = await this.sql<{ proname: string }>`
      select proname from pg_proc group by proname
      having bool_and(pronamespace = 'pg_catalog'::regnamespace)`;
    const value = new Set(rows.map((r) => r.proname.toLowerCase()));
    this.builtins = { value, loadedAt: Date.now() };
    return value;
  }

  /** pg_type facts → PgType (domains resolved to their base kind, arrays, composites). */
  async resolveTypes(oids: number[]): Promise<Map<number, PgType>> {
    const rows = new Map<number, TypeRow>();
    const fields = new Map<number, Array<{ name: string; typ: number }>>();
    let frontier = [...new Set(oids)].filter((o) => !this.types.has(o));
    while (frontier.length > 0) {
      const res = await this.sql<TypeRow>`
        select oid::int, typname, typtype, typcategory, typelem::int, typdelim, typbasetype::int, typrelid::int
          from pg_type where oid = any(${frontier}::oid[])`;
      const next = new Set<number>();
      const composites: number[] = [];
      for (const r of res) {
        rows.set(r.oid, r);
        for (const dep of [r.typelem, r.typbasetype]) if (dep && !rows.has(dep) && !this.types.has(dep)) next.add(dep);
        if (r.typtype === 'c' && r.typrelid) composites.push(r.typrelid);
      }
      if (composites.length > 0) {
        const attrs = await this.sql<{ rel: number; name: string; typ: number }>`
          select attrelid::int as rel, attname as name, atttypid::int as typ from pg_attribute
           where attrelid = any(${composites}::oid[]) and attnum > 0 and not attisdropped order by attrelid, attnum`;
        for (const a of attrs) {
          const list = fields.get(a.rel) ?? [];
          list.push({ name: a.name, typ: a.typ });
          fields.set(a.rel, list);
          if (!rows.has(a.typ) && !this.types.has(a.typ)) next.add(a.typ);
        }
      }
      frontier = [...next].filter((o) => !rows.has(o));
    }
    const building = new Set<number>();
    const build = (oid: number): PgType => {
      const known = this.types.get(oid);
      if (known) return known;
      const r = rows.get(oid);
      if (!r || building.has(oid)) return { oid, name: r?.typname ?? 'unknown', kind: 'string' };
      building.add(oid);
      let t: PgType;
      if (r.typtype === 'd') {
        const base = build(r.typbasetype);
        t = { ...base, oid, name: r.typname, compareAs: base.compareAs ?? base.name };
      } else if (r.typcategory === 'A' && r.typelem) {
        t = { oid, name: r.typname, kind: 'array', element: build(r.typelem), delimiter: r.typdelim };
      } else if (r.typtype === 'c') {
        t = { oid, name: r.typname, kind: 'composite', fields: (fields.get(r.typrelid) ?? []).map((f) => ({ name: f.name, type: build(f.typ) })) };
      } else {
        t = { oid, name: r.typname, kind: kindFor(r) };
      }
      building.delete(oid);
      this.types.set(oid, t);
      return t;
    };
    const out = new Map<number, PgType>();
    for (const o of oids) out.set(o, build(o));
    return out;
  }
}
