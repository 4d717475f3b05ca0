import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, asRole } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { insertStreamRows } from './stream-rows.ts';

const sql = adminSql(6);
let org: TestOrg;
let other: TestOrg;
beforeAll(async () => {
  org = await createTestOrg(sql, 'resume');
  other = await createTestOrg(sql, 'resume-other');
});
afterAll(() => sql.end());

interface Page { rows: Array<{ id: number; org_id: string; version: number }>; next: number; cursor: string; done: boolean }

async function resume(stream: string, cursor: string | null, after = 0, limit = 1000): Promise<Page> {
  return asRole(sql, 'authenticated', org.viewerClaims, async (tx) => {
    const [r] = await tx<{ page: Page }[]>`select public.stream_resume(${stream}::public.stream_name, ${cursor}::xid8, ${after}, ${limit}) as page`;
    return r!.page;
  });
}

/** Initial snapshot: page until done, keep the first page's cursor. */
async function snapshot(stream: string, limit = 1000): Promise<{ ids: number[]; cursor: string }> {
  let after = 0;
  let cursor: string | undefined;
  const ids: number[] = [];
  for (;;) {
    const page = await resume(stream, null, after, limit);
    cursor ??= page.cursor;
    ids.push(...page.rows.map((r) => r.id));
    after = page.next;
    if (page.done) return { ids, cursor };
  }
}

describe('stream_resume', () => {
  it('pages a snapshot without a silent row cap and applies RLS', async () => {
    for (let i = 0; i < 12; i++) await insertStreamRows(sql, org.id, `page-${i}`);
    await insertStreamRows(sql, other.id, 'not-mine');
    const { ids } = await snapshot('hotspots', 5);
    expect(ids.length).toBe(12);
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('never skips a row committed by a transaction that started before the cursor but committed after it', async () => {
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
          radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days)
        values (${org.id}, 'flood', 'late-commit', 'low', 'space_time_permutation', ${['882830828dfffff']}, '882830828dfffff', 0, 0,
          1, now(), now(), 1, 1, 1, 1, 0.5, 1)`;
      // A faster transaction commits meanwhile and is seen by the snapshot.
      const fast = await insertStreamRows(sql, org.id, 'fast');
      const snap = await snapshot('hotspots');
      expect(snap.ids).toContain(Number(fast.hotspotId));
      await reserved`commit`;
      const page = await resume('hotspots', snap.cursor);
      expect(page.rows.map((r) => r.id)).toEqual(expect.arrayContaining([expect.any(Number)]));
      const late = await sql<{ id: string }[]>`select id from public.hotspots where dedup_key = 'late-commit' and org_id = ${org.id}`;
      expect(snap.ids).not.toContain(Number(late[0]!.id));
      expect(page.rows.map((r) => r.id)).toContain(Number(late[0]!.id));
    } finally {
      reserved.release();
    }
  });

  it('an update bumps version and tx_id so catch-up returns the row again', async () => {
    const { alertId } = await insertStreamRows(sql, org.id, 'bump');
    const { cursor } = await snapshot('alerts');
    await sql`update public.alerts set state = 'firing' where id = ${alertId}`;
    const page = await resume('alerts', cursor);
    const row = page.rows.find((r) => r.id === Number(alertId));
    expect(row?.version).toBe(2);
  });

  it('rejects an unknown stream and caps the limit at 1,000', async () => {
    await expect(resume('events', null)).rejects.toThrow(/invalid input value for enum/);
    const page = await resume('hotspots', null, 0, 5000);
    expect(page.rows.length).toBeLessThanOrEqual(1000);
  });
});
