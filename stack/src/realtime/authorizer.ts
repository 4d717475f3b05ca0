/**
 * Row Level Security for Postgres Changes, per group of subscribers rather than per
 * subscriber: subscribers with the same role and the same values for the claims the
 * table's policies read (catalog `claimPaths`) see the same rows. For a batch of
 * changes to one table, realtime.embedded_visible_keys runs ONE query per group over
 * all the batch's primary keys, as that group's role and claims, in one round trip.
 * Like Supabase's walrus check it reads the table's current state by primary key —
 * once the writing transactions' commits are visible (`xids`; see bootstrap.sql).
 */
import type { Db } from './db.ts';
import type { TableInfo } from './catalog.ts';
import type { Claims } from './jwt.ts';
import type { Metrics } from './metrics.ts';

export interface Group {
  role: string;
  /** Any member's claims: members agree on every claim the policies read. */
  claims: Claims;
}

export interface Visibility {
  /** Group index → indices of the keys it may see. */
  visible: Map<number, Set<number>>;
  /** Groups whose policy evaluation raised (Realtime reports "Error 500"). */
  failed: Set<number>;
}

export class Authorizer {
  constructor(private readonly sql: Db, private readonly metrics: Metrics) {}

  async visible(table: TableInfo, keys: Array<Array<string | null>>, groups: Group[], xids: number[]): Promise<Visibility> {
    const out: Visibility = { visible: new Map(), failed: new Set() };
    if (keys.length === 0 || groups.length === 0) return out;
    const groupJson = groups.map((g) => ({ role: g.role, claims: JSON.stringify(g.claims) }));
    const rows = await this.sql<{ group_no: number; key_no: number }>`
      select group_no, key_no from realtime.embedded_visible_keys(${table.oid}::oid::regclass, ${JSON.stringify(keys)}::jsonb, ${JSON.stringify(groupJson)}::jsonb, ${xids}::bigint[])`;
    this.metrics.rlsBatches++;
    this.metrics.rlsGroupQueries += groups.length;
    for (const r of rows) {
      if (r.group_no < 0) this.metrics.visibilityWaits += r.key_no;
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
