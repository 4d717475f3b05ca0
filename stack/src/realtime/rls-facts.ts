/**
 * A table's RLS facts — row security on or forced, its owner, its SELECT policies — and
 * their history by WAL position.
 *
 * Why a history: the server authorizes a change some milliseconds (under load, seconds)
 * after it committed. Reading pg_policy "now" judged a change committed just before
 * `drop policy` / `alter table … disable row level security` by the rules that came after
 * it — the change was dropped (or leaked) without a trace. Instead the stack's event
 * trigger (`realtime.embedded_ddl_watch`, bootstrap.sql) emits the facts of every table a
 * DDL command touches as a transactional logical message (`pg_logical_emit_message`), so
 * they reach the server in the replication stream at the DDL's commit position; a change
 * is judged by the facts in effect at its own commit LSN.
 */

/** pg_logical_emit_message prefix of the event trigger's messages. */
export const RLS_FACTS_PREFIX = 'hotwatch.realtime.rls';

/** Prefix of realtime.embedded_gate_deps_changed's messages: a table gate policies read changed. */
export const GATE_DEPS_PREFIX = 'hotwatch.realtime.gate-deps';

export interface PolicyFact {
  name: string;
  permissive: boolean;
  /** Role oids; 0 is PUBLIC. */
  roles: number[];
  /** pg_get_expr of USING, schema-qualified (search_path ''); null: none. */
  qual: string | null;
  /** pg_policy.polqual node tree text (policy-purity.ts). */
  tree: string | null;
}

/** As `realtime.embedded_rls_facts(oid)` returns them (SELECT and ALL policies only). */
export interface RlsFacts {
  rls: boolean;
  force: boolean;
  owner: number;
  policies: PolicyFact[];
}

export interface TableRlsFacts {
  oid: number;
  facts: RlsFacts;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function parsePolicy(v: unknown): PolicyFact | undefined {
  if (!isObj(v) || typeof v.name !== 'string' || typeof v.permissive !== 'boolean' || !Array.isArray(v.roles)) return undefined;
  if (!strOrNull(v.qual) || !strOrNull(v.tree) || !v.roles.every((r) => typeof r === 'number')) return undefined;
  return { name: v.name, permissive: v.permissive, roles: v.roles as number[], qual: v.qual, tree: v.tree };
}

/** Validates the JSON shape of `realtime.embedded_rls_facts`. */
export function parseRlsFacts(v: unknown): TableRlsFacts | undefined {
  if (!isObj(v) || typeof v.oid !== 'number' || typeof v.rls !== 'boolean' || typeof v.force !== 'boolean' || typeof v.owner !== 'number') return undefined;
  if (!Array.isArray(v.policies)) return undefined;
  const policies = v.policies.map(parsePolicy);
  if (!policies.every((p): p is PolicyFact => p !== undefined)) return undefined;
  return { oid: v.oid, facts: { rls: v.rls, force: v.force, owner: v.owner, policies } };
}

export function parseRlsFactsMessage(content: Buffer): TableRlsFacts | undefined {
  try {
    return parseRlsFacts(JSON.parse(content.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Entries kept per table: DDL is rare, and only positions not yet delivered matter. */
const MAX_ENTRIES = 32;
/** Tables with a history (DDL on any table is noted, subscribed or not): the oldest is forgotten first. */
const MAX_TABLES = 10_000;

/**
 * Facts per table by the commit LSN they took effect at. The first facts known for a
 * table (a catalog load) count from the start of the stream; later ones are noted in
 * stream order as the event trigger's messages arrive (re-sent messages after a
 * reconnect replace the entry at the same position).
 */
export class RlsFactsHistory {
  private readonly byTable = new Map<number, Array<{ from: bigint; facts: RlsFacts }>>();

  /** Facts read from the catalog: used only while nothing is known about the table yet. */
  seed(oid: number, facts: RlsFacts): void {
    if (this.byTable.has(oid)) return;
    if (this.byTable.size >= MAX_TABLES) this.byTable.delete(this.byTable.keys().next().value!);
    this.byTable.set(oid, [{ from: 0n, facts }]);
  }

  note(oid: number, from: bigint, facts: RlsFacts): void {
    const list = this.byTable.get(oid);
    if (!list) {
      // Forgetting only costs precision: the next catalog load seeds the table again.
      if (this.byTable.size >= MAX_TABLES) this.byTable.delete(this.byTable.keys().next().value!);
      this.byTable.set(oid, [{ from, facts }]);
      return;
    }
    let i = list.length;
    while (i > 0 && list[i - 1]!.from > from) i--;
    if (i > 0 && list[i - 1]!.from === from) list[i - 1] = { from, facts };
    else list.splice(i, 0, { from, facts });
    if (list.length > MAX_ENTRIES) list.splice(0, list.length - MAX_ENTRIES);
  }

  /** The facts in effect for a change committed at `lsn` (the earliest known when it predates them all). */
  at(oid: number, lsn: bigint): RlsFacts | undefined {
    const list = this.byTable.get(oid);
    if (!list) return undefined;
    for (let i = list.length - 1; i > 0; i--) if (list[i]!.from <= lsn) return list[i]!.facts;
    return list[0]!.facts;
  }

  forget(oid: number): void {
    this.byTable.delete(oid);
  }
}
