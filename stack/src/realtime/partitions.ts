/**
 * realtime.messages is partitioned by day, as on Supabase: the server creates the
 * partitions for yesterday through three days ahead at start and again every day just
 * after UTC midnight, and drops partitions older than three days (Broadcast messages
 * are kept three days).
 */
import type { Db } from './db.ts';
import type { Logger } from '../log.ts';

const KEEP_DAYS = 3;
const AHEAD_DAYS = 3;

export async function maintainPartitions(sql: Db, now = new Date()): Promise<{ created: string[]; dropped: string[] }> {
  const created: string[] = [];
  const dropped: string[] = [];
  const day = (offset: number): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset));
  const name = (d: Date): string => `messages_${d.toISOString().slice(0, 10).replace(/-/g, '_')}`;
  const iso = (d: Date): string => d.toISOString().slice(0, 10);
  for (let i = -1; i <= AHEAD_DAYS; i++) {
    const d = day(i);
    const n = name(d);
    const exists = await sql`select 1 from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'realtime' and c.relname = ${n}`;
    if (exists.length > 0) continue;
    await sql.unsafe(`create table if not exists realtime.${n} partition of realtime.messages for values from ('${iso(d)}') to ('${iso(day(i + 1))}')`);
    created.push(n);
  }
  const cutoff = name(day(-KEEP_DAYS));
  const old = await sql<{ relname: string }>`
    select c.relname from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace s on s.oid = p.relnamespace
     where s.nspname = 'realtime' and p.relname = 'messages' and c.relname ~ '^messages_\\d{4}_\\d{2}_\\d{2}$'`;
  for (const r of old) {
    if (r.relname < cutoff) {
      await sql.unsafe(`drop table if exists realtime.${r.relname}`);
      dropped.push(r.relname);
    }
  }
  return { created, dropped };
}

/** Run now, then daily a minute after UTC midnight. Returns a stop function. */
export function schedulePartitions(sql: Db, log: Logger): { ready: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async (): Promise<void> => {
    try {
      const r = await maintainPartitions(sql);
      if (r.created.length || r.dropped.length) log.info('realtime.messages partitions', r);
    } catch (e) {
      log.warn('partition maintenance failed', { code: 'PartitionMaintenanceFailed', error: String(e) });
    }
  };
  const next = (): void => {
    if (stopped) return;
    const now = new Date();
    const nextRun = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 0, 1);
    timer = setTimeout(() => { void run().then(next); }, nextRun - now.getTime());
    timer.unref();
  };
  const ready = run().then(next);
  return { ready, stop: () => { stopped = true; clearTimeout(timer); } };
}
