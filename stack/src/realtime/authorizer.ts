/**
 * Row Level Security for Postgres Changes, per group of subscribers rather than per
 * subscriber: subscribers with the same role and the same values for the claims the
 * table's policies read (catalog `claimPaths`) see the same rows. Two ways to decide:
 *
 * - `verdicts`: when the policies are a pure function of the row's columns and the
 *   claims (catalog `verdictColumns`; Hotwatch's `org_roles ? org_id` is), the verdict
 *   for a group and a tuple of those columns' values never changes while the policies
 *   don't: it is asked of PostgreSQL once (realtime.embedded_policy_verdicts evaluates
 *   the table's policies as of the change's commit — TableInfo.facts, rls-facts.ts —
 *   over the values, as the group's role and claims) and remembered.
 *   A steady stream of changes is then authorized without a round trip.
 * - `visible`: otherwise, for a batch of changes to one table,
 *   realtime.embedded_visible_keys runs ONE query per group over all the batch's
 *   primary keys, in one round trip. Like Supabase's walrus check it reads the table's
 *   current state by primary key — once the writing transactions' commits are visible
 *   (`xids`; see bootstrap.sql).
 */
import type { Db } from './db.ts';
import type { TableInfo } from './catalog.ts';
import type { Claims } from './jwt.ts';
import type { Metrics } from './metrics.ts';
import type { RlsFacts } from './rls-facts.ts';

export interface Group {
  /** role + the claim values the policies read (policy-claims.ts groupKey). */
  key: string;
  role: string;
  /** Any member's claims: members agree on every claim the policies read. */
  claims: Claims;
}

export interface Visibility {
  /** Group index → indices of the keys it may see. */
  visible: Map<number, Set<number>>;
  /** Groups whose policy evaluation raised (Realtime reports "Error 500"). */
  failed: Set<number>;
  /** The probe gave up waiting for the writers' commits to become visible: keys it did not see are undecided. */
  gaveUp?: boolean;
}

/** Remembered verdicts per table before the cache is started afresh. */
const MAX_CACHED_VERDICTS = 100_000;

/**
 * How long a kept gate value may be used. A change to what the gate read drops it at
 * once (forgetGates, in WAL order); this bounds what no WAL record announces: time
 * (`banned_until > now()` ending), role attributes.
 */
export const GATE_TTL_MS = 1_000;

/** Kept gate values before they are started afresh. */
const MAX_KEPT_GATES = 100_000;

export class Authorizer {
  /**
   * group key → values → visible, per table and the facts the verdicts were asked under
   * (oid, verdict columns, policies: factsJson). The catalog reloads a table's facts at least
   * every 5 s and at once on DDL; keyed by what they say rather than by the reloaded object,
   * a reload that changed nothing keeps the verdicts, and a changed policy starts afresh.
   */
  private readonly cache = new Map<number, { facts: string; size: number; byGroup: Map<string, Map<string, boolean>> }>();

  /** The table's RLS facts as JSON, once per TableInfo (sent with every verdict query). */
  private readonly factsText = new WeakMap<TableInfo, string>();
  /** Likewise the table's gate facts (without the table: the SQL reads owner, force and policies). */
  private readonly gateText = new WeakMap<TableInfo, string>();
  /** Gate checks being gathered for this tick, by gate facts (gates()). */
  private readonly gateRounds = new Map<string, { members: Map<string, Group>; passed: Promise<Map<string, boolean | null>> }>();
  /**
   * Gate values kept between batches: gate facts + group key → value and when it was
   * asked. Only values whose evaluation read nothing but tables that announce their
   * changes in the WAL (realtime.embedded_policy_gates `cacheable`), dropped when one
   * of those changes is decoded (forgetGates) and after GATE_TTL_MS.
   */
  private keptGates = new Map<string, { passed: boolean; at: number }>();
  /** Bumped by forgetGates: an evaluation begun before must not be kept. */
  private gateEpoch = 0;
  /** Gate values being asked again in the background (renewGates). */
  private readonly renewing = new Set<string>();
  /** The transactions behind forgetGates since values were last kept: evaluations wait until they are visible. */
  private gateXids: number[] = [];

  constructor(private readonly sql: Db, private readonly metrics: Metrics) {}

  /**
   * A table some gate read changed in transaction `xid` (or the stream restarted): ask
   * every gate afresh, once that commit is visible — its WAL can reach the server a moment
   * before the committing backend leaves the proc array (bootstrap.sql embedded_visible_keys).
   */
  forgetGates(xid?: number): void {
    this.gateEpoch++;
    this.keptGates = new Map();
    if (xid === undefined) return;
    // The newest always; the oldest give way (decoded long before, their commits are visible).
    if (this.gateXids.length >= 1_000) this.gateXids.shift();
    this.gateXids.push(xid);
  }

  private factsJson(table: TableInfo): string {
    let text = this.factsText.get(table);
    if (text === undefined) { text = JSON.stringify({ oid: table.oid, ...table.verdictFacts }); this.factsText.set(table, text); }
    return text;
  }

  /**
   * Visibility of tuples of `table.verdictColumns` values for each group: the cached pure
   * verdicts, AND'ed with the table's gate (row-independent restrictive policies such as
   * the cut-off's) evaluated now, once per group for the whole batch — as a probe of each
   * row would find it, without reading the rows. Only groups the pure verdicts let see a
   * row of the batch are gated: an AND that is already false needs no second operand, and
   * with one group per member (the cut-off reads `sub`) a batch of one org's rows then
   * costs that org's members' checks, not every subscriber's.
   */
  async verdicts(table: TableInfo, tuples: Array<Array<string | null>>, groups: Group[]): Promise<Visibility> {
    const out = await this.pureVerdicts(table, tuples, groups);
    if (!table.gate) return out;
    const seeing = [...out.visible.keys()];
    if (seeing.length === 0) return out;
    const gate = await this.gates(table, table.gate, seeing.map((gi) => groups[gi]!));
    seeing.forEach((gi, j) => {
      if (gate.failed.has(j)) { out.failed.add(gi); out.visible.delete(gi); }
      else if (!gate.visible.has(j)) out.visible.delete(gi);
    });
    return out;
  }

  /** Which groups pass the gate policies (`gate`: facts holding only those policies). */
  private async gates(table: TableInfo, gate: RlsFacts, groups: Group[]): Promise<Visibility> {
    const out: Visibility = { visible: new Map(), failed: new Set() };
    if (groups.length === 0) return out;
    let text = this.gateText.get(table);
    if (text === undefined) { text = JSON.stringify(gate); this.gateText.set(table, text); }
    const now = Date.now();
    const ask: Group[] = [];
    const askIdx: number[] = [];
    const renew: Group[] = [];
    groups.forEach((g, gi) => {
      const kept = this.keptGates.get(`${text}\u0000${g.key}`);
      if (kept && now - kept.at < GATE_TTL_MS) {
        this.metrics.rlsKeptGates++;
        if (kept.passed) out.visible.set(gi, new Set([0]));
        if (now - kept.at >= GATE_TTL_MS / 2) renew.push(g);
      } else { ask.push(g); askIdx.push(gi); }
    });
    // Values past half their lifetime are asked again in the background, so a steady
    // stream seldom waits for a gate check; the batch at hand uses the value still valid.
    if (renew.length > 0) this.renewGates(text, renew);
    if (ask.length === 0) return out;
    // Tables whose gates are the same policies (the cut-off on every stream table) share
    // one evaluation per group for the checks asked in this tick, i.e. one batch: an SDK
    // subscriber's three streams cost one gate check, not three.
    let round = this.gateRounds.get(text);
    if (!round) {
      const members = new Map<string, Group>();
      const facts = text;
      round = { members, passed: Promise.resolve().then(() => { this.gateRounds.delete(facts); return this.evaluateGates(facts, [...members.values()]); }) };
      this.gateRounds.set(text, round);
    }
    for (const g of ask) round.members.set(g.key, g);
    const passed = await round.passed;
    ask.forEach((g, j) => {
      const gi = askIdx[j]!;
      const p = passed.get(g.key);
      if (p === null) out.failed.add(gi);
      else if (p) out.visible.set(gi, new Set([0]));
    });
    return out;
  }

  /** Ask these groups' gate values again without waiting (each group once at a time). */
  private renewGates(facts: string, groups: Group[]): void {
    const fresh = groups.filter((g) => !this.renewing.has(`${facts}\u0000${g.key}`));
    if (fresh.length === 0) return;
    const keys = fresh.map((g) => `${facts}\u0000${g.key}`);
    for (const k of keys) this.renewing.add(k);
    this.evaluateGates(facts, fresh).catch(() => { /* asked again by the next batch */ })
      .finally(() => { for (const k of keys) this.renewing.delete(k); });
  }

  /** realtime.embedded_policy_gates for these groups: group key → passed (null: the policies raised). */
  private async evaluateGates(facts: string, groups: Group[]): Promise<Map<string, boolean | null>> {
    const groupJson = groups.map((g) => ({ role: g.role, claims: JSON.stringify(g.claims) }));
    const epoch = this.gateEpoch;
    const xids = [...this.gateXids];
    const at = Date.now();
    const rows = await this.sql<{ group_no: number; passed: boolean | null; cacheable: boolean }>`
      select group_no, passed, cacheable from realtime.embedded_policy_gates(${JSON.stringify(groupJson)}::jsonb, ${facts}::jsonb, ${xids}::bigint[])`;
    this.metrics.rlsGateChecks += groups.length;
    const out = new Map<string, boolean | null>();
    // Kept only if nothing the values read changed while they were asked (epoch) and what
    // they read announces its changes (cacheable); a failed evaluation is asked again.
    const keep = epoch === this.gateEpoch;
    if (keep && rows.some((r) => r.cacheable)) this.gateXids = []; // waited for: visible from now on
    if (keep && this.keptGates.size > MAX_KEPT_GATES) this.keptGates = new Map();
    for (const r of rows) {
      const key = groups[r.group_no]!.key;
      out.set(key, r.passed);
      if (keep && r.cacheable && r.passed !== null) this.keptGates.set(`${facts}\u0000${key}`, { passed: r.passed, at });
    }
    return out;
  }

  /** The cached verdicts of the policies that are pure functions of the row and the claims. */
  private async pureVerdicts(table: TableInfo, tuples: Array<Array<string | null>>, groups: Group[]): Promise<Visibility> {
    const out: Visibility = { visible: new Map(), failed: new Set() };
    const facts = `${JSON.stringify(table.verdictColumns)}:${this.factsJson(table)}`;
    let cache = this.cache.get(table.oid);
    if (!cache || cache.facts !== facts || cache.size > MAX_CACHED_VERDICTS) {
      cache = { facts, size: 0, byGroup: new Map() };
      this.cache.set(table.oid, cache);
    }
    const { byGroup } = cache;
    const tupleKeys = tuples.map((t) => JSON.stringify(t));
    const see = (gi: number, ti: number): void => {
      const set = out.visible.get(gi);
      if (set) set.add(ti); else out.visible.set(gi, new Set([ti]));
    };
    const askGroups: number[] = [];
    const askTuples = new Set<number>();
    groups.forEach((g, gi) => {
      let missing = false;
      const known = byGroup.get(g.key);
      tupleKeys.forEach((tk, ti) => {
        const v = known?.get(tk);
        if (v === undefined) { missing = true; askTuples.add(ti); } else if (v) see(gi, ti);
      });
      if (missing) askGroups.push(gi);
    });
    this.metrics.rlsCachedVerdicts += groups.length * tuples.length - askGroups.length * askTuples.size;
    if (askGroups.length === 0) return out;

    const ti = [...askTuples];
    const groupJson = askGroups.map((gi) => ({ role: groups[gi]!.role, claims: JSON.stringify(groups[gi]!.claims) }));
    const rows = await this.sql<{ group_no: number; tuple_no: number }>`
      select group_no, tuple_no from realtime.embedded_policy_verdicts(${table.oid}::oid::regclass, ${table.verdictColumns ?? []}::text[], ${JSON.stringify(ti.map((i) => tuples[i]))}::jsonb, ${JSON.stringify(groupJson)}::jsonb, ${this.factsJson(table)}::jsonb)`;
    this.metrics.rlsBatches++;
    this.metrics.rlsGroupQueries += askGroups.length;
    const answered = new Set<number>();
    for (const r of rows) {
      const gi = askGroups[r.group_no]!;
      if (r.tuple_no < 0) out.failed.add(gi); // not remembered: the next batch asks again
      else answered.add(r.group_no * ti.length + r.tuple_no - 1);
    }
    askGroups.forEach((gi, a) => {
      if (out.failed.has(gi)) return;
      const key = groups[gi]!.key;
      let known = byGroup.get(key);
      if (!known) { known = new Map(); byGroup.set(key, known); }
      ti.forEach((t, b) => {
        const v = answered.has(a * ti.length + b);
        if (!known.has(tupleKeys[t]!)) cache.size++;
        known.set(tupleKeys[t]!, v);
        if (v) see(gi, t);
      });
    });
    return out;
  }

  async visible(table: TableInfo, keys: Array<Array<string | null>>, groups: Group[], xids: number[]): Promise<Visibility> {
    const out: Visibility = { visible: new Map(), failed: new Set() };
    if (keys.length === 0 || groups.length === 0) return out;
    const groupJson = groups.map((g) => ({ role: g.role, claims: JSON.stringify(g.claims) }));
    const rows = await this.sql<{ group_no: number; key_no: number }>`
      select group_no, key_no from realtime.embedded_visible_keys(${table.oid}::oid::regclass, ${JSON.stringify(keys)}::jsonb, ${JSON.stringify(groupJson)}::jsonb, ${xids}::bigint[])`;
    this.metrics.rlsBatches++;
    this.metrics.rlsGroupQueries += groups.length;
    for (const r of rows) {
      if (r.group_no < 0) {
        this.metrics.visibilityWaits += r.key_no;
        if (r.group_no === -2) out.gaveUp = true;
      }
      else if (r.key_no < 0) out.failed.add(r.group_no);
      else {
        let keys = out.visible.get(r.group_no);
        if (!keys) { keys = new Set(); out.visible.set(r.group_no, keys); }
        keys.add(r.key_no - 1);
      }
    }
    return out;
  }
}
