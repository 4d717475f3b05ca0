/**
 * The change pipeline: committed transactions from the replication stream are taken in
 * batches, strictly in commit order. For each batch it finds the candidate subscribers
 * of every change (table, event, filters), runs the grouped RLS checks (one query per
 * group per table), then sends every frame in commit order and only then acknowledges
 * the batch's last LSN to PostgreSQL. Inserts on realtime.messages (Broadcast from
 * Database) travel the same ordered path.
 */
import type { Logger } from '../log.ts';
import type { Authorizer, Group, Visibility } from './authorizer.ts';
import type { Catalog, RolePrivileges, TableInfo } from './catalog.ts';
import type { RealtimeLimits } from './constants.ts';
import { matchesFilters } from './filters.ts';
import { hubKey, type BroadcastMessage, type Hub } from './hub.ts';
import { nowMs, type Metrics } from './metrics.ts';
import { commitTimestamp, renderChange, renderError } from './payload.ts';
import type { ReplicationStream, RowChange, Transaction } from './replication.ts';
import { encodeText } from './serializer.ts';
import type { ChangeSubscriber, PgSubscription, SubscriptionRegistry } from './subscriptions.ts';

export interface PipelineDeps {
  limits: RealtimeLimits;
  log: Logger;
  catalog: Catalog;
  registry: SubscriptionRegistry;
  authorizer: Authorizer;
  hub: Hub;
  metrics: Metrics;
  replication: () => ReplicationStream | undefined;
}

/**
 * Everything that is the same for all changes of one (table, action) in a batch:
 * candidate subscriptions, their privileges and their RLS groups. Per change only the
 * filters (when any binding has one) and the group verdicts for its key remain.
 */
interface Plan {
  table: TableInfo;
  action: RowChange['kind'];
  subs: PgSubscription[];
  filtered: boolean;
  /** Subscriptions handled one by one (no RLS check: DELETE, no RLS, bypass; or an error payload), with their role when planned. */
  direct: Array<{ x: PgSubscription; role: string }>;
  /** RLS group index → its subscriptions. */
  members: Map<number, PgSubscription[]>;
}

type ChangeItem = { kind: 'change'; plan: Plan; change: RowChange; ts: string; xid: number; keyIndex: number; passing: Set<PgSubscription> | null };
type BroadcastItem = { kind: 'broadcast'; key: string; msg: BroadcastMessage };
type Item = ChangeItem | BroadcastItem;

interface TableBatch {
  table: TableInfo;
  keys: Array<Array<string | null>>;
  keyIndex: Map<string, number>;
  /** Transactions that wrote the keys: the check waits until their commits are visible. */
  xids: Set<number>;
  groups: Group[];
  groupIndex: Map<string, number>;
  result?: Visibility;
}

const MAX_BATCH_CHANGES = 10_000;
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
  tables: Map<number, TableBatch>;
  privs: Map<string, RolePrivileges>;
  /** End LSN of the last transaction not delivered before (0: all were). */
  lastLsn: bigint;
  /** End LSN of the batch's last transaction. */
  batchEnd: bigint;
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

  constructor(private readonly deps: PipelineDeps) {}

  enqueue(tx: Transaction): void {
    this.queue.push(tx);
    if (this.queue.length > this.deps.limits.maxQueuedTransactions) this.deps.replication()?.pause();
    this.pump();
  }

  /** The stream reconnected: queued and in-flight transactions will be sent again. */
  reset(): void {
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
    const { catalog, registry, metrics } = this.deps;
    const started = nowMs();
    const items: Item[] = [];
    const plans = new Map<string, Plan | null>();
    const tables = new Map<number, TableBatch>();
    let lastLsn = 0n;

    for (const tx of batch) {
      if (tx.endLsn <= this.lastDelivered) continue;
      lastLsn = tx.endLsn;
      metrics.recordStage('wal', tx.receivedAt - Number(tx.commitTimeMicros) / 1000);
      metrics.recordStage('queue', started - tx.receivedAt);
      metrics.transactions++;
      for (const rel of tx.relations) catalog.invalidate(rel.oid);
      let ts: string | undefined;
      for (const change of tx.changes) {
        metrics.changes++;
        const rel = change.relation;
        if (rel.schema === 'realtime' && rel.name.startsWith('messages')) {
          const b = change.kind === 'INSERT' && change.newTuple ? dbBroadcast(change.newTuple) : undefined;
          if (b) items.push({ kind: 'broadcast', ...b });
          continue;
        }
        const planKey = `${rel.oid}:${change.kind}`;
        let plan = plans.get(planKey);
        if (plan === undefined) {
          const subs = registry.candidates(rel.schema, rel.name, change.kind);
          const table = subs.length > 0 ? await catalog.table(rel.oid) : undefined;
          plan = table ? { table, action: change.kind, subs, filtered: subs.some((x) => x.spec.filters.length > 0), direct: [], members: new Map() } : null;
          plans.set(planKey, plan);
        }
        if (!plan) continue;
        let passing: Set<PgSubscription> | null = null;
        if (plan.filtered) {
          const table = plan.table;
          const typeOf = (c: string) => table.byName.get(c)?.type;
          passing = new Set(plan.subs.filter((x) => x.spec.filters.length === 0 ||
            (change.newTuple !== null && matchesFilters(x.spec.filters, change.newTuple, typeOf)) ||
            (change.kind === 'DELETE' && change.oldTuple !== null && matchesFilters(x.spec.filters, change.oldTuple, typeOf))));
          if (passing.size === 0) continue;
        }
        ts ??= commitTimestamp(tx.commitTimeMicros);
        items.push({ kind: 'change', plan, change, ts, xid: tx.xid, keyIndex: -1, passing });
      }
    }

    // Privileges per (table, role), then each plan's RLS groups.
    const privs = new Map<string, RolePrivileges>();
    const wanted = new Map<string, Promise<RolePrivileges>>();
    for (const plan of plans.values()) {
      if (!plan) continue;
      for (const x of plan.subs) {
        const k = `${plan.table.oid}:${x.subscriber.claims.role}`;
        if (!wanted.has(k)) wanted.set(k, catalog.rolePrivileges(plan.table, x.subscriber.claims.role));
      }
    }
    await Promise.all([...wanted].map(async ([k, p]) => { privs.set(k, await p); }));
    for (const plan of plans.values()) {
      if (!plan) continue;
      const { table } = plan;
      const rls = plan.action !== 'DELETE' && table.rls && table.pk.length > 0;
      let tb: TableBatch | undefined;
      for (const x of plan.subs) {
        const p = privs.get(`${table.oid}:${x.subscriber.claims.role}`);
        if (!p || !p.exists) continue;
        if (!rls || p.bypassRls || !table.pk.every((c) => p.selectable.has(c))) { plan.direct.push({ x, role: x.subscriber.claims.role }); continue; }
        if (!tb) {
          tb = tables.get(table.oid);
          if (!tb) { tb = { table, keys: [], keyIndex: new Map(), xids: new Set(), groups: [], groupIndex: new Map() }; tables.set(table.oid, tb); }
        }
        const gk = x.subscriber.groupKey(table.claimPaths);
        let gi = tb.groupIndex.get(gk);
        if (gi === undefined) { gi = tb.groups.length; tb.groupIndex.set(gk, gi); tb.groups.push({ role: x.subscriber.claims.role, claims: x.subscriber.claims }); }
        const list = plan.members.get(gi);
        if (list) list.push(x); else plan.members.set(gi, [x]);
      }
    }
    for (const item of items) {
      if (item.kind !== 'change' || item.plan.members.size === 0 || !item.change.newTuple) continue;
      const tb = tables.get(item.plan.table.oid)!;
      const key = item.plan.table.pk.map((c) => item.change.newTuple!.get(c) ?? null);
      const ks = JSON.stringify(key);
      let ki = tb.keyIndex.get(ks);
      if (ki === undefined) { ki = tb.keys.length; tb.keys.push(key); tb.keyIndex.set(ks, ki); }
      item.keyIndex = ki;
      tb.xids.add(item.xid);
    }
    await Promise.all([...tables.values()].map(async (tb) => {
      try {
        tb.result = await this.deps.authorizer.visible(tb.table, tb.keys, tb.groups, [...tb.xids]);
      } catch (e) {
        if (this.failures < 5) throw e;
        // A batch that keeps failing must not stall every subscriber: report it as 500s.
        this.deps.log.error('RLS check keeps failing; reporting errors to subscribers', { table: `${tb.table.schema}.${tb.table.name}`, error: String(e) });
        tb.result = { visible: new Map(), failed: new Set(tb.groups.map((_, i) => i)) };
      }
    }));
    const readyAt = nowMs();
    metrics.recordStage('rls', readyAt - started);
    return { items, readyAt, tables, privs, lastLsn, batchEnd: batch.length > 0 ? batch[batch.length - 1]!.endLsn : 0n };
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
          this.emitChange(item, p.tables.get(item.plan.table.oid), p.privs);
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

  private emitChange(item: ChangeItem, tb: TableBatch | undefined, privs: Map<string, RolePrivileges>): void {
    const { plan, change, passing } = item;
    const { table } = plan;
    const { maxRecordBytes } = this.deps.limits;
    const variants = new Map<string, string>();
    // Usually one matching binding per subscriber: keep that case allocation-light.
    const per = new Map<ChangeSubscriber, Delivery>();
    const add = (x: PgSubscription, variant: string): void => {
      const d = per.get(x.subscriber);
      if (!d) { per.set(x.subscriber, { variant, ids: [x.id] }); return; }
      if (d.variant === variant) { if (!d.ids.includes(x.id)) d.ids.push(x.id); return; }
      d.more ??= new Map();
      const ids = d.more.get(variant);
      if (!ids) d.more.set(variant, [x.id]); else if (!ids.includes(x.id)) ids.push(x.id);
    };
    const error = (x: PgSubscription, variant: string, text: string): void => {
      if (!variants.has(variant)) variants.set(variant, renderError(table, change, text));
      add(x, variant);
    };
    const row = (x: PgSubscription, role: string, p: RolePrivileges): void => {
      const variant = x.spec.select ? `${role}|${x.spec.select.join(',')}` : role;
      if (!variants.has(variant)) {
        variants.set(variant, renderChange({ table, change, commitTimestamp: item.ts, selectable: p.selectable, select: x.spec.select, maxRecordBytes }));
      }
      add(x, variant);
    };
    const noKey = change.kind !== 'DELETE' && table.pk.length === 0;
    for (const { x, role } of plan.direct) {
      if (passing && !passing.has(x)) continue;
      // The role it was planned with: claims may have changed since (access_token).
      const p = privs.get(`${table.oid}:${role}`)!;
      if (noKey) error(x, '!400', 'Error 400: Bad Request, no primary key');
      else if (change.kind !== 'DELETE' && !table.pk.every((c) => p.selectable.has(c))) error(x, '!401', 'Error 401: Unauthorized');
      else row(x, role, p);
    }
    const result = tb?.result;
    if (result) {
      for (const [gi, members] of plan.members) {
        const failed = result.failed.has(gi);
        if (!failed && !result.visible.get(gi)?.has(item.keyIndex)) continue;
        // Members of a group share their role, hence their privileges; the group's role is
        // the one RLS was checked with, even if a member's claims changed since.
        const role = tb!.groups[gi]!.role;
        const p = privs.get(`${table.oid}:${role}`)!;
        for (const x of members) {
          if (passing && !passing.has(x)) continue;
          if (failed) error(x, '!500', 'Error 500: Internal Server Error, RLS policy evaluation failed');
          else row(x, role, p);
        }
      }
    }
    // Subscribers with the same protocol, topic and binding ids (e.g. every dashboard on
    // the same channel) get the very same frame: encode it once, share the Buffer.
    const frames = new Map<string, Buffer>();
    const send = (sub: ChangeSubscriber, variant: string, ids: number[]): void => {
      const idList = ids.length === 1 ? String(ids[0]) : ids.join(',');
      const key = `${sub.vsn}|${sub.topic}|${idList}|${variant}`;
      let frame = frames.get(key);
      if (!frame) {
        frame = Buffer.from(encodeText(sub.vsn, null, null, sub.topic, 'postgres_changes', `{"ids":[${idList}],"data":${variants.get(variant)}}`), 'utf8');
        frames.set(key, frame);
      }
      sub.send(frame, false);
    };
    let n = 0;
    for (const [sub, d] of per) {
      send(sub, d.variant, d.ids);
      n++;
      if (d.more) for (const [variant, ids] of d.more) { send(sub, variant, ids); n++; }
    }
    this.deps.metrics.deliveries += n;
  }
}

/** What one subscriber gets for one change: usually one variant with one binding id. */
interface Delivery {
  variant: string;
  ids: number[];
  more?: Map<string, number[]>;
}

/** A realtime.messages insert → the broadcast Realtime sends (meta {id}). */
function dbBroadcast(row: Map<string, string | null>): { key: string; msg: BroadcastMessage } | undefined {
  const topic = row.get('topic');
  const event = row.get('event');
  const extension = row.get('extension');
  const id = row.get('id');
  if (!topic || event === undefined || event === null || extension !== 'broadcast' || !id) return undefined;
  if (row.get('skip_broadcast') === 't') return undefined;
  const isPrivate = row.get('private') === 't';
  const payload = row.get('payload');
  const binary = row.get('binary_payload');
  const msg: BroadcastMessage = { event, meta: JSON.stringify({ id }), userBroadcast: true, dbId: id };
  if (payload !== null && payload !== undefined) msg.json = payload;
  else if (binary !== null && binary !== undefined) msg.binary = Buffer.from(binary.replace(/^\\x/, ''), 'hex');
  else msg.json = 'null';
  return { key: hubKey(isPrivate, topic), msg };
}
