/**
 * The org's scan news (`public.scan_news`, one row per events insert statement): a scan
 * notes the rows it can see before it reads the cube and, in its write transaction,
 * deletes exactly those — an event committed while the scan ran keeps its news for
 * the next round (migrations/20261206121500_scan_dispatch.sql).
 */
import type { ISql, TransactionSql } from 'postgres';

export interface SeenNews {
  ids: string[];
  /** The newest news among them (null: none). */
  newest: Date | null;
}

/** Before the cube read: the news rows already committed. */
export async function seeNews(sql: ISql, orgId: string): Promise<SeenNews> {
  const rows = await sql<Array<{ id: string; noted_at: Date }>>`
    select id::text, noted_at from public.scan_news where org_id = ${orgId}`;
  let newest: Date | null = null;
  for (const r of rows) if (!newest || r.noted_at > newest) newest = r.noted_at;
  return { ids: rows.map((r) => r.id), newest };
}

/** In the write transaction: the news is consumed and the org's last scan recorded. */
export async function consumeNews(tx: TransactionSql, orgId: string, scanId: number, seen: SeenNews): Promise<void> {
  if (seen.ids.length) await tx`delete from public.scan_news where id = any(${seen.ids}::bigint[])`;
  await tx`
    insert into public.org_scan_state as st (org_id, last_scan_at, last_news_at)
    select ${orgId}, r.started_at, ${seen.newest} from public.scan_runs r where r.id = ${scanId}
    on conflict (org_id) do update
      set last_scan_at = greatest(st.last_scan_at, excluded.last_scan_at),
          last_news_at = greatest(st.last_news_at, excluded.last_news_at)`;
}
