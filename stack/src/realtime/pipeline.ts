/**
 * The change pipeline: committed transactions from the replication stream are taken in
 * batches, strictly in commit order. For each batch it finds the candidate subscribers
 * of every change (table, event, filters), runs the grouped RLS checks (one query per
 * group per table), then sends every frame in commit order and only then acknowledges
 * the batch's last LSN to PostgreSQL. Inserts on realtime.messages (Broadcast from
 * Database, decoded by db-broadcast.ts) travel the same ordered path. The pipeline steers
 * the stream only through FlowControl (flow-control.ts): pause/resume on queue depth, ack
 * after delivery, reconnect on a failed batch.
 */
import type { Logger } from '../log.ts';
import type { Authorizer, Group, Visibility } from './authorizer.ts';
import { FilterIndex } from './filter-index.ts';
import type { Catalog, RolePrivileges, TableInfo } from './catalog.ts';
import type { RealtimeLimits } from './constants.ts';
import { changeBroadcast, isMessagesTable } from './db-broadcast.ts';
import type { FlowControl } from './flow-control.ts';
import type { BroadcastMessage, Hub } from './hub.ts';
import { nowMs, type Metrics } from './metrics.ts';
import { commitTimestamp, renderChange, renderError } from './payload.ts';
import type { RowChange, Transaction } from './replication.ts';
import { pushEnvelope, type Envelope } from './serializer.ts';
import type { ChangeSubscriber, PgSubscription, SubscriptionRegistry } from './subscriptions.ts';
import { wsFrameOf, type WireFrame } from './ws-frame.ts';

export interface PipelineDeps {
  limits: RealtimeLimits;
  log: Logger;
  catalog: Catalog;
  registry: SubscriptionRegistry;
  authorizer: Authorizer;
  hub: Hub;
  metrics: Metrics;
  /** The stream's flow control (absent while it is not connected). */
  replication: () => FlowControl | undefined;
}

/**
 * Everything that is the same for all changes of one (table, action): candidate
 * subscriptions, their privileges and their RLS groups. Kept across batches while the
 * registry (joins, leaves, token switches), the table's facts and the roles' privileges
 * stay the same, so a steady stream costs no per-subscriber work per batch.
 */
interface Template {
  version: number;
  table: TableInfo;
  subs: PgSubscription[];
  filtered: boolean;
  /** `subs` by their equality filters' values (filter-index.ts). */
  index: FilterIndex<PgSubscription>;
  /** role → its privileges on the table. */
  privs: Map<string, RolePrivileges>;
  /** Subscriptions handled one by one (no RLS check: DELETE, no RLS, bypass; or an error payload), with their role when planned. */
  direct: Array<{ x: PgSubscription; role: string }>;
  groups: Array<{ group: Group; members: PgSubscription[] }>;
}

/** A template in one batch: its groups numbered as in the batch's TableBatch. */
interface Plan extends Template {
  action: RowChange['kind'];
  /** RLS group index → its subscriptions. */
  members: Map<number, PgSubscription[]>;
  /** Subscription → its RLS group index. */
  groupOf: Map<PgSubscription, number>;
}

/** keyIndex: into the table batch's `verdict` set when byVerdict, else its `probe` set (-1: no RLS check). */
type ChangeItem = { kind: 'change'; plan: Plan; change: RowChange; ts: string; xid: number; keyIndex: number; byVerdict: boolean; passing: Set<PgSubscription> | null };
type BroadcastItem = { kind: 'broadcast'; key: string; msg: BroadcastMessage };
type Item = ChangeItem | BroadcastItem;

/** The RLS groups of one table in a batch and what must be checked for them. */
interface TableBatch {
  table: TableInfo;
  groups: Group[];
  groupIndex: Map<string, number>;
  /** Values of the table's verdict columns (pure policies: decided from the WAL tuple, cached). */
  verdict: KeySet;
  /** Primary keys to probe in the table (other policies, or a verdict column not in the tuple). */
  probe: KeySet;
  /** Transactions that wrote the probed keys: the probe waits until their commits are visible. */
  xids: Set<number>;
  /** Groups with a subscription some change of the batch passes the filters of (null: every group). */
  needed: Set<number> | null;
}

interface KeySet {
  keys: Array<Array<string | null>>;
  index: Map<string, number>;
  result?: Visibility;
}

const keySet = (): KeySet => ({ keys: [], index: new Map() });

const MAX_BATCH_CHANGES = 10_000;
/** Cached frame envelopes (protocol, topic, binding ids) before the cache starts afresh. */
const MAX_ENVELOPES = 50_000;
const PIPELINE_DEPTH = 3;

interface Inflight {
  gen: number;
  settled: boolean;
  prepared?: Prepared;
  error?: unknown;
}

interface Prepared {
  items: Item[];
  /** When its RLS answers were in (stage tracing). */
  readyAt: number;
  tables: Map<TableInfo, TableBatch>;
  /** End LSN of the last transaction not delivered before (0: all were). */
  lastLsn: bigint;
  /** End LSN of the batch's last transaction. */
  batchEnd: bigint;
}

/**
 * RLS asked only for the groups with a subscription that some change of the batch passes
 * the filters of: with one group per org member and `org_id=eq` filters, a batch of one
 * org's rows asks about that org's members, not every subscriber of the table. The
 * answer is renumbered to the table batch's group indices; the other groups receive
 * nothing from this batch whatever RLS would say.
 */
async function onlyNeeded(tb: TableBatch, run: (groups: Group[]) => Promise<Visibility>): Promise<Visibility> {
  if (tb.needed === null || tb.needed.size === tb.groups.length) return run(tb.groups);
  const idx = [...tb.needed];
  if (idx.length === 0) return { visible: new Map(), failed: new Set() };
  const v = await run(idx.map((i) => tb.groups[i]!));
  const out: Visibility = { visible: new Map(), failed: new Set(), ...(v.gaveUp ? { gaveUp: true } : {}) };
  for (const [j, keys] of v.visible) out.visible.set(idx[j]!, keys);
  for (const j of v.failed) out.failed.add(idx[j]!);
  return out;
}

export class ChangePipeline {
  private queue: Transaction[] = [];
  /** Batches being prepared or waiting for their turn, in commit order. */
  private inflight: Inflight[] = [];
  /** Of those, how many are still being prepared (each holds a pool connection). */
  private preparing = 0;
  private generation = 0;
  private lastDelivered = 0n;
  private failures = 0;
  private readonly templates = new Map<string, { version: number; template: Template | null }>();
  private readonly envelopes = new Map<string, Envelope>();

  constructor(private readonly deps: PipelineDeps) {}

  enqueue(tx: Transaction): void {
    // In stream order, before any later transaction is prepared: each change is judged by
    // the RLS facts in effect at its own commit (rls-facts.ts).
    for (const f of tx.rlsFacts) this.deps.catalog.noteRlsFacts(f.oid, tx.commitLsn, f.facts);
    // Likewise, gate values kept from before a change to what they read are dropped before
    // any later transaction is judged.
    if (tx.gateDepsChanged) this.deps.authorizer.forgetGates(tx.xid);
    this.queue.push(tx);
    if (this.queue.length > this.deps.limits.maxQueuedTransactions) this.deps.replication()?.pause();
    this.pump();
  }

  /** The stream reconnected: queued and in-flight transactions will be sent again. */
  reset(): void {
    this.deps.authorizer.forgetGates();
    this.queue = [];
    this.inflight = [];
    this.preparing = 0;
    this.generation++;
    this.deps.replication()?.resume();
  }

  /**
   * Up to PIPELINE_DEPTH batches are prepared (catalog, privileges, RLS query) at once on
   * separate pool connections, so one batch's round trip overlaps the next ones'; a batch
   * starts as soon as a preparation slot is free (a lone transaction is not held back to
   * fill a batch), and a slow round trip at the head does not hold later batches' queries
   * back — only their frames. Frames go out strictly batch after batch, in commit order.
   */
  private pump(): void {
    while (this.inflight.length > 0 && this.inflight[0]!.settled) {
      const head = this.inflight.shift()!;
      if (head.gen !== this.generation) continue;
      if (head.error !== undefined) {
        this.failures++;
        this.deps.log.error('change batch failed; resuming from the last acknowledged position', {
          code: 'ChangeBatchFailed', error: String(head.error), attempt: this.failures,
        });
        // Drops the queue and every later batch (reset()); they are streamed again.
        this.deps.replication()?.reconnect('change batch failed');
        continue;
      }
      this.failures = 0;
      this.emit(head.prepared!);
    }
    while (this.queue.length > 0 && this.preparing < PIPELINE_DEPTH) {
      const entry: Inflight = { gen: this.generation, settled: false };
      this.inflight.push(entry);
      this.preparing++;
      this.prepare(this.take()).then(
        (p) => { entry.prepared = p; },
        (e: unknown) => { entry.error = e ?? new Error('batch failed'); },
      ).finally(() => {
        if (entry.gen === this.generation) this.preparing--;
        entry.settled = true;
        this.pump();
      });
    }
    if (this.queue.length < this.deps.limits.maxQueuedTransactions / 2) this.deps.replication()?.resume();
  }

  private take(): Transaction[] {
    const out: Transaction[] = [];
    let n = 0;
    while (this.queue.length > 0 && (out.length === 0 || n + this.queue[0]!.changes.length <= MAX_BATCH_CHANGES)) {
      const tx = this.queue.shift()!;
      n += tx.changes.length;
      out.push(tx);
    }
    return out;
  }

  private async prepare(batch: Transaction[]): Promise<Prepared> {
    const { catalog, metrics } = this.deps;
    const started = nowMs();
    const items: Item[] = [];
    const plans = new Map<string, Plan | null>();
    const tables = new Map<TableInfo, TableBatch>();
    let lastLsn = 0n;

    for (const tx of batch) {
      if (tx.endLsn <= this.lastDelivered) continue;
      lastLsn = tx.endLsn;
      metrics.recordStage('wal', tx.receivedAt - Number(tx.commitTimeMicros) / 1000);
      metrics.recordStage('queue', started - tx.receivedAt);
      metrics.transactions++;
      // A transaction that (re)described a table or changed its RLS facts: its changes, and
      // later ones, get a new plan.
      for (const rel of tx.relations) { catalog.invalidate(rel.oid); forgetPlans(plans, rel.oid); }
      for (const f of tx.rlsFacts) forgetPlans(plans, f.oid);
      let ts: string | undefined;
      for (const change of tx.changes) {
        metrics.changes++;
        const rel = change.relation;
        if (isMessagesTable(rel)) {
          const b = changeBroadcast(change);
          if (b) items.push({ kind: 'broadcast', ...b });
          continue;
        }
        const planKey = `${rel.oid}:${change.kind}`;
        let plan = plans.get(planKey);
        if (plan === undefined) {
          const t = await this.template(rel.oid, rel.schema, rel.name, change.kind, tx.commitLsn);
          plan = t ? { ...t, action: change.kind, members: new Map(), groupOf: new Map() } : null;
          if (plan) {
            for (const { group, members } of plan.groups) {
              let tb = tables.get(plan.table);
              if (!tb) { tb = { table: plan.table, groups: [], groupIndex: new Map(), verdict: keySet(), probe: keySet(), xids: new Set(), needed: new Set() }; tables.set(plan.table, tb); }
              let gi = tb.groupIndex.get(group.key);
              if (gi === undefined) { gi = tb.groups.length; tb.groupIndex.set(group.key, gi); tb.groups.push(group); }
              plan.members.set(gi, members);
              for (const m of members) plan.groupOf.set(m, gi);
            }
          }
          plans.set(planKey, plan);
        }
        if (!plan) continue;
        let passing: Set<PgSubscription> | null = null;
        if (plan.filtered) {
          // A DELETE is matched on its old row, any other change on its new row.
          passing = new Set(plan.index.matching(change.newTuple ?? (change.kind === 'DELETE' ? change.oldTuple : null)));
          if (passing.size === 0) continue;
        }
        ts ??= commitTimestamp(tx.commitTimeMicros);
        items.push({ kind: 'change', plan, change, ts, xid: tx.xid, keyIndex: -1, byVerdict: false, passing });
      }
    }

    for (const item of items) {
      if (item.kind !== 'change' || item.plan.members.size === 0 || !item.change.newTuple) continue;
      const tb = tables.get(item.plan.table)!;
      const tuple = item.change.newTuple;
      const { verdictColumns, pk } = item.plan.table;
      // An unchanged TOAST value is absent from the tuple: that change is probed instead.
      item.byVerdict = verdictColumns !== null && verdictColumns.every((c) => tuple.has(c));
      const set = item.byVerdict ? tb.verdict : tb.probe;
      const key = (item.byVerdict ? verdictColumns! : pk).map((c) => tuple.get(c) ?? null);
      const ks = JSON.stringify(key);
      let ki = set.index.get(ks);
      if (ki === undefined) { ki = set.keys.length; set.keys.push(key); set.index.set(ks, ki); }
      item.keyIndex = ki;
      if (!item.byVerdict) tb.xids.add(item.xid);
      if (item.passing === null) tb.needed = null;
      else if (tb.needed) for (const x of item.passing) { const gi = item.plan.groupOf.get(x); if (gi !== undefined) tb.needed.add(gi); }
    }
    const { authorizer } = this.deps;
    await Promise.all([...tables.values()].flatMap((tb) => [
      this.check(tb, tb.verdict, (groups) => authorizer.verdicts(tb.table, tb.verdict.keys, groups)),
      this.check(tb, tb.probe, (groups) => authorizer.visible(tb.table, tb.probe.keys, groups, [...tb.xids])),
    ]));
    const readyAt = nowMs();
    metrics.recordStage('rls', readyAt - started);
    return { items, readyAt, tables, lastLsn, batchEnd: batch.length > 0 ? batch[batch.length - 1]!.endLsn : 0n };
  }

  /** The (table, action) template, rebuilt when what it was built from changed. */
  private async template(oid: number, schema: string, name: string, action: RowChange['kind'], lsn: bigint): Promise<Template | null> {
    const { registry, catalog, log } = this.deps;
    const key = `${oid}:${action}`;
    const version = registry.version;
    const cached = this.templates.get(key);
    if (cached && cached.version === version) {
      const t = cached.template;
      if (t === null) return null;
      if (await catalog.tableAt(oid, lsn) === t.table && await this.samePrivileges(t)) return t;
    }
    const subs = registry.candidates(schema, name, action);
    const table = subs.length > 0 ? await catalog.tableAt(oid, lsn) : undefined;
    if (!table) {
      this.templates.set(key, { version, template: null });
      return null;
    }
    const privs = new Map<string, RolePrivileges>();
    for (const role of new Set(subs.map((x) => x.subscriber.claims.role))) privs.set(role, await catalog.rolePrivileges(table, role));
    const filtered = subs.some((x) => x.spec.filters.length > 0);
    const index = new FilterIndex(filtered ? subs : [], (c) => table.byName.get(c)?.type);
    const t: Template = { version, table, subs, filtered, index, privs, direct: [], groups: [] };
    const rls = action !== 'DELETE' && table.rls && table.pk.length > 0;
    const byKey = new Map<string, { group: Group; members: PgSubscription[] }>();
    for (const x of subs) {
      const role = x.subscriber.claims.role;
      const p = privs.get(role)!;
      if (!p.exists) {
        // The join checked the role; it was dropped since. Nothing can be decided for it.
        this.deps.metrics.rlsUndecided++;
        log.warn('cannot decide RLS: the subscriber\'s role does not exist', { code: 'RealtimeRlsUndecided', table: `${table.schema}.${table.name}`, role, group: groupLabel(x.subscriber.groupKey(table.claimPaths)) });
        continue;
      }
      if (!rls || p.bypassRls || !table.pk.every((c) => p.selectable.has(c))) { t.direct.push({ x, role }); continue; }
      const gk = x.subscriber.groupKey(table.claimPaths);
      let g = byKey.get(gk);
      if (!g) { g = { group: { key: gk, role, claims: x.subscriber.claims }, members: [] }; byKey.set(gk, g); t.groups.push(g); }
      g.members.push(x);
    }
    this.templates.set(key, { version, template: t });
    return t;
  }

  private async samePrivileges(t: Template): Promise<boolean> {
    for (const [role, p] of t.privs) if (await this.deps.catalog.rolePrivileges(t.table, role) !== p) return false;
    return true;
  }

  private async check(tb: TableBatch, set: KeySet, run: (groups: Group[]) => Promise<Visibility>): Promise<void> {
    if (set.keys.length === 0) return;
    try {
      set.result = await onlyNeeded(tb, run);
    } catch (e) {
      if (this.failures < 5) throw e;
      // A batch that keeps failing must not stall every subscriber: report it as 500s.
      this.deps.log.error('RLS check keeps failing; reporting errors to subscribers', { code: 'RealtimeRlsUndecided', table: `${tb.table.schema}.${tb.table.name}`, groups: tb.groups.map((g) => groupLabel(g.key)), error: String(e) });
      set.result = { visible: new Map(), failed: new Set(tb.groups.map((_, i) => i)) };
    }
  }

  private emit(p: Prepared): void {
    const { metrics, log } = this.deps;
    const start = nowMs();
    metrics.recordStage('order', start - p.readyAt);
    for (const item of p.items) {
      // A bug rendering one change must not cut the rest of the batch (or stall the stream).
      try {
        if (item.kind === 'broadcast') this.deps.hub.broadcast(item.key, item.msg);
        else {
          this.emitChange(item, p.tables.get(item.plan.table));
          metrics.recordLag(start - Date.parse(item.ts));
        }
      } catch (e) {
        metrics.emitErrors++;
        log.error('could not deliver a change', { code: 'EmitFailed', error: String(e instanceof Error ? e.stack ?? e : e) });
      }
    }
    metrics.recordStage('emit', nowMs() - start);
    if (p.lastLsn > this.lastDelivered) this.lastDelivered = p.lastLsn;
    const ack = p.lastLsn > 0n ? p.lastLsn : p.batchEnd;
    if (ack > 0n) this.deps.replication()?.ack(ack);
  }

  private emitChange(item: ChangeItem, tb: TableBatch | undefined): void {
    const { plan, change, passing } = item;
    const { table } = plan;
    const out: ChangeOutput = { item, variants: new Map(), per: new Map() };
    const noKey = change.kind !== 'DELETE' && table.pk.length === 0;
    for (const { x, role } of plan.direct) {
      if (passing && !passing.has(x)) continue;
      // The role it was planned with: claims may have changed since (access_token).
      const p = plan.privs.get(role)!;
      if (noKey) this.addError(out, x, '!400', 'Error 400: Bad Request, no primary key');
      else if (change.kind !== 'DELETE' && !table.pk.every((c) => p.selectable.has(c))) this.addError(out, x, '!401', 'Error 401: Unauthorized');
      else this.addRow(out, x, role, p);
    }
    const result = item.byVerdict ? tb?.verdict.result : tb?.probe.result;
    if (!result && plan.members.size > 0 && change.kind !== 'DELETE') {
      this.undecided(item, [...plan.members.keys()].map((gi) => tb?.groups[gi]?.key ?? '?'), 'no RLS answer for the change');
    }
    if (result) {
      for (const [gi, members] of plan.members) {
        if (tb!.needed && !tb!.needed.has(gi)) continue; // no change of the batch passes its filters: not asked (onlyNeeded)
        const failed = result.failed.has(gi);
        if (failed) this.undecided(item, [tb!.groups[gi]!.key], 'the policies raised (Error 500 sent)');
        else if (result.gaveUp && !result.visible.get(gi)?.has(item.keyIndex)) this.undecided(item, [tb!.groups[gi]!.key], 'the writing transaction never became visible to the probe');
        if (!failed && !result.visible.get(gi)?.has(item.keyIndex)) continue;
        // Members of a group share their role, hence their privileges; the group's role is
        // the one RLS was checked with, even if a member's claims changed since.
        const role = tb!.groups[gi]!.role;
        const p = plan.privs.get(role)!;
        for (const x of members) {
          if (passing && !passing.has(x)) continue;
          if (failed) this.addError(out, x, '!500', 'Error 500: Internal Server Error, RLS policy evaluation failed');
          else this.addRow(out, x, role, p);
        }
      }
    }
    let n = 0;
    for (const [sub, d] of out.per) {
      sub.send(this.frame(sub, d.variant, d.ids, d.ids.length === 1 ? d.first : undefined));
      n++;
      if (d.more) for (const [variant, ids] of d.more) { sub.send(this.frame(sub, variant, ids, undefined)); n++; }
    }
    this.deps.metrics.deliveries += n;
  }

  /** Logged, never silent: a change some subscribers may be owed, that RLS could not decide for them. */
  private undecided(item: ChangeItem, groups: string[], reason: string): void {
    const { table } = item.plan;
    this.deps.metrics.rlsUndecided += groups.length;
    this.deps.log.warn('cannot decide RLS for a change', {
      code: 'RealtimeRlsUndecided', table: `${table.schema}.${table.name}`, groups: groups.map(groupLabel), event: item.change.kind, reason,
    });
  }

  private addRow(out: ChangeOutput, x: PgSubscription, role: string, p: RolePrivileges): void {
    const key = x.spec.select ? `${role}|${x.spec.select.join(',')}` : role;
    let variant = out.variants.get(key);
    if (!variant) {
      const { plan, change, ts } = out.item;
      const json = renderChange({ table: plan.table, change, commitTimestamp: ts, selectable: p.selectable, select: x.spec.select, maxRecordBytes: this.deps.limits.maxRecordBytes });
      variant = { data: Buffer.from(json, 'utf8'), frames: new Map() };
      out.variants.set(key, variant);
    }
    this.add(out, x, variant);
  }

  private addError(out: ChangeOutput, x: PgSubscription, key: string, text: string): void {
    let variant = out.variants.get(key);
    if (!variant) {
      variant = { data: Buffer.from(renderError(out.item.plan.table, out.item.change, text), 'utf8'), frames: new Map() };
      out.variants.set(key, variant);
    }
    this.add(out, x, variant);
  }

  /** Usually one matching binding per subscriber: that case allocates one small object. */
  private add(out: ChangeOutput, x: PgSubscription, variant: Variant): void {
    const d = out.per.get(x.subscriber);
    if (!d) { out.per.set(x.subscriber, { variant, ids: [x.id], first: x }); return; }
    if (d.variant === variant) { if (!d.ids.includes(x.id)) d.ids.push(x.id); return; }
    d.more ??= new Map();
    const ids = d.more.get(variant);
    if (!ids) d.more.set(variant, [x.id]); else if (!ids.includes(x.id)) ids.push(x.id);
  }

  /**
   * The frame for one subscriber: envelope (protocol, topic, binding ids) around the
   * variant's data. Subscribers with the same envelope (e.g. every dashboard on the same
   * channel) share one Buffer.
   */
  private frame(sub: ChangeSubscriber, variant: Variant, ids: number[], only: PgSubscription | undefined): WireFrame {
    const envelope = only ? (only.envelope ??= this.envelope(sub, String(ids[0]))) : this.envelope(sub, ids.join(','));
    let frame = variant.frames.get(envelope);
    if (!frame) {
      frame = wsFrameOf([envelope.head, variant.data, envelope.tail]);
      variant.frames.set(envelope, frame);
    }
    return frame;
  }

  private envelope(sub: ChangeSubscriber, idList: string): Envelope {
    const key = `${sub.vsn}|${sub.topic}|${idList}`;
    let e = this.envelopes.get(key);
    if (!e) {
      if (this.envelopes.size >= MAX_ENVELOPES) this.envelopes.clear();
      e = pushEnvelope(sub.vsn, sub.topic, 'postgres_changes', `{"ids":[${idList}],"data":`, '}');
      this.envelopes.set(key, e);
    }
    return e;
  }
}

/** One rendering of a change (per role and column list, or an error) and its frames by envelope. */
interface Variant {
  data: Buffer;
  frames: Map<Envelope, WireFrame>;
}

/** What one change sends while its frames are being assembled. */
interface ChangeOutput {
  item: ChangeItem;
  /** Variant key (role, role|columns or !status) → its rendering. */
  variants: Map<string, Variant>;
  per: Map<ChangeSubscriber, Delivery>;
}

/** What one subscriber gets for one change: usually one variant with one binding id. */
interface Delivery {
  variant: Variant;
  ids: number[];
  /** The subscription of ids[0]. */
  first: PgSubscription;
  more?: Map<Variant, number[]>;
}

function forgetPlans(plans: Map<string, unknown>, oid: number): void {
  plans.delete(`${oid}:INSERT`);
  plans.delete(`${oid}:UPDATE`);
  plans.delete(`${oid}:DELETE`);
}

/** An RLS group key (role, then claim=value pairs NUL-separated) readable in a log line. */
function groupLabel(key: string): string {
  return key.replaceAll('\u0000', ' ');
}
