/**
 * The change pipeline: committed transactions from the replication stream are taken in
 * batches, strictly in commit order. For each batch it finds the candidate subscribers
 * of every change (table, event, filters), runs the grouped RLS checks (one query per
 * group per table), then sends every frame in commit order and only then acknowledges
 * the batch's last LSN to PostgreSQL. Inserts on realtime.messages (Broadcast from
 * Database) travel the same ordered path.
 */
import type { Logger } from '../log.ts';
import { Authorizer, type Group, type Visibility } from './authorizer.ts';
import type { Catalog, RolePrivileges, TableInfo } from './catalog.ts';
import type { RealtimeLimits } from './constants.ts';
import { matchesFilters } from './filters.ts';
import { hubKey, type BroadcastMessage, type Hub } from './hub.ts';
import type { Metrics } from './metrics.ts';
import { commitTimestamp, renderChange, renderError } from './payload.ts';
import { groupKey } from './policy-claims.ts';
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

type ChangeItem = { kind: 'change'; table: TableInfo; change: RowChange; ts: string; subs: PgSubscription[]; keyIndex: number };
type BroadcastItem = { kind: 'broadcast'; key: string; msg: BroadcastMessage };
type Item = ChangeItem | BroadcastItem;

interface TableBatch {
  table: TableInfo;
  keys: Array<Array<string | null>>;
  keyIndex: Map<string, number>;
  groups: Group[];
  groupIndex: Map<string, number>;
  result?: Visibility;
}

const MAX_BATCH_CHANGES = 10_000;

export class ChangePipeline {
  private queue: Transaction[] = [];
  private running = false;
  private generation = 0;
  private lastDelivered = 0n;
  private failures = 0;

  constructor(private readonly deps: PipelineDeps) {}

  enqueue(tx: Transaction): void {
    this.queue.push(tx);
    if (this.queue.length > this.deps.limits.maxQueuedTransactions) this.deps.replication()?.pause();
    if (!this.running) void this.run();
  }

  /** The stream reconnected: queued transactions will be sent again. */
  reset(): void {
    this.queue = [];
    this.generation++;
    this.deps.replication()?.resume();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const gen = this.generation;
        const batch = this.take();
        try {
          await this.process(batch, gen);
          this.failures = 0;
        } catch (e) {
          if (gen !== this.generation) continue;
          this.failures++;
          this.deps.log.error('change batch failed; resuming from the last acknowledged position', {
            code: 'ChangeBatchFailed', error: String(e), attempt: this.failures,
          });
          this.deps.replication()?.reconnect('change batch failed');
          break;
        }
        if (this.queue.length < this.deps.limits.maxQueuedTransactions / 2) this.deps.replication()?.resume();
      }
    } finally {
      this.running = false;
    }
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

  private async process(batch: Transaction[], gen: number): Promise<void> {
    const { catalog, registry, metrics } = this.deps;
    const items: Item[] = [];
    const tables = new Map<number, TableBatch>();
    const privileges = new Map<string, Promise<RolePrivileges>>();
    let lastLsn = 0n;

    for (const tx of batch) {
      if (tx.endLsn <= this.lastDelivered) continue;
      lastLsn = tx.endLsn;
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
        const candidates = registry.candidates(rel.schema, rel.name, change.kind);
        if (candidates.length === 0) continue;
        const table = await catalog.table(rel.oid);
        if (!table) continue;
        const typeOf = (c: string) => table.byName.get(c)?.type;
        const subs = candidates.filter((s) =>
          (change.newTuple !== null && matchesFilters(s.spec.filters, change.newTuple, typeOf)) ||
          (change.kind === 'DELETE' && change.oldTuple !== null && matchesFilters(s.spec.filters, change.oldTuple, typeOf)));
        if (subs.length === 0) continue;
        for (const s of subs) {
          const pkey = `${table.oid}:${s.subscriber.claims.role}`;
          if (!privileges.has(pkey)) privileges.set(pkey, catalog.rolePrivileges(table, s.subscriber.claims.role));
        }
        ts ??= commitTimestamp(tx.commitTimeMicros);
        items.push({ kind: 'change', table, change, ts, subs, keyIndex: -1 });
      }
    }

    // Which (group, key) pairs need an RLS check.
    const privs = new Map<string, RolePrivileges>();
    await Promise.all([...privileges].map(async ([k, p]) => { privs.set(k, await p); }));
    for (const item of items) {
      if (item.kind !== 'change') continue;
      const { table, change } = item;
      if (change.kind === 'DELETE' || !table.rls || table.pk.length === 0 || !change.newTuple) continue;
      let tb: TableBatch | undefined;
      for (const s of item.subs) {
        const role = s.subscriber.claims.role;
        const p = privs.get(`${table.oid}:${role}`);
        if (!p || !p.exists || p.bypassRls || !table.pk.every((c) => p.selectable.has(c))) continue;
        if (!tb) {
          tb = tables.get(table.oid);
          if (!tb) { tb = { table, keys: [], keyIndex: new Map(), groups: [], groupIndex: new Map() }; tables.set(table.oid, tb); }
          const key = table.pk.map((c) => change.newTuple!.get(c) ?? null);
          const ks = JSON.stringify(key);
          let ki = tb.keyIndex.get(ks);
          if (ki === undefined) { ki = tb.keys.length; tb.keys.push(key); tb.keyIndex.set(ks, ki); }
          item.keyIndex = ki;
        }
        const gk = groupKey(role, s.subscriber.claims, table.claimPaths);
        if (!tb.groupIndex.has(gk)) { tb.groupIndex.set(gk, tb.groups.length); tb.groups.push({ role, claims: s.subscriber.claims }); }
      }
    }
    await Promise.all([...tables.values()].map(async (tb) => {
      try {
        tb.result = await this.deps.authorizer.visible(tb.table, tb.keys, tb.groups);
      } catch (e) {
        if (this.failures < 5) throw e;
        // A batch that keeps failing must not stall every subscriber: report it as 500s.
        this.deps.log.error('RLS check keeps failing; reporting errors to subscribers', { table: `${tb.table.schema}.${tb.table.name}`, error: String(e) });
        tb.result = { visible: new Set(), failed: new Set(tb.groups.map((_, i) => i)) };
      }
    }));
    if (gen !== this.generation) return;

    for (const item of items) {
      if (item.kind === 'broadcast') this.deps.hub.broadcast(item.key, item.msg);
      else this.emitChange(item, tables.get(item.table.oid), privs);
    }
    if (lastLsn > 0n) {
      this.lastDelivered = lastLsn;
      this.deps.replication()?.ack(lastLsn);
    } else if (batch.length > 0) {
      this.deps.replication()?.ack(batch[batch.length - 1]!.endLsn);
    }
  }

  private emitChange(item: ChangeItem, tb: TableBatch | undefined, privs: Map<string, RolePrivileges>): void {
    const { table, change } = item;
    const variants = new Map<string, string>();
    const perSubscriber = new Map<ChangeSubscriber, Map<string, number[]>>();
    for (const s of item.subs) {
      const role = s.subscriber.claims.role;
      const p = privs.get(`${table.oid}:${role}`);
      if (!p || !p.exists) continue;
      let variant: string;
      let data: string | undefined;
      if (change.kind !== 'DELETE' && table.pk.length === 0) {
        variant = '!400';
        data = variants.get(variant) ?? renderError(table, change, 'Error 400: Bad Request, no primary key');
      } else if (change.kind !== 'DELETE' && !table.pk.every((c) => p.selectable.has(c))) {
        variant = '!401';
        data = variants.get(variant) ?? renderError(table, change, 'Error 401: Unauthorized');
      } else {
        if (change.kind !== 'DELETE' && table.rls && !p.bypassRls) {
          const gi = tb?.groupIndex.get(groupKey(role, s.subscriber.claims, table.claimPaths));
          if (gi === undefined || !tb?.result) continue;
          if (tb.result.failed.has(gi)) {
            variant = '!500';
            data = variants.get(variant) ?? renderError(table, change, 'Error 500: Internal Server Error, RLS policy evaluation failed');
            addId(perSubscriber, s, variant, data, variants);
            continue;
          }
          if (!tb.result.visible.has(`${gi}:${item.keyIndex}`)) continue;
        }
        variant = `${role}|${s.spec.select?.join(',') ?? '*'}`;
        data = variants.get(variant) ?? renderChange({
          table, change, commitTimestamp: item.ts, selectable: p.selectable, select: s.spec.select, maxRecordBytes: this.deps.limits.maxRecordBytes,
        });
      }
      addId(perSubscriber, s, variant, data, variants);
    }
    for (const [sub, byVariant] of perSubscriber) {
      for (const [variant, ids] of byVariant) {
        sub.send(encodeText(sub.vsn, null, null, sub.topic, 'postgres_changes', `{"ids":[${ids.join(',')}],"data":${variants.get(variant)}}`));
        this.deps.metrics.deliveries++;
      }
    }
  }
}

function addId(per: Map<ChangeSubscriber, Map<string, number[]>>, s: PgSubscription, variant: string, data: string, variants: Map<string, string>): void {
  variants.set(variant, data);
  let byVariant = per.get(s.subscriber);
  if (!byVariant) { byVariant = new Map(); per.set(s.subscriber, byVariant); }
  const ids = byVariant.get(variant);
  if (!ids) byVariant.set(variant, [s.id]);
  else if (!ids.includes(s.id)) ids.push(s.id);
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
