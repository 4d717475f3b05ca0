/**
 * org-settings through real Deno on the functions gateway (supabase-js
 * `functions.invoke`), and an open page following the change over Realtime: a
 * member's postgres_changes subscription on org_settings sees the update; another
 * org's member sees nothing.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import { invokeFunction } from '../../support/functions.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';

const info = inject('stack');
const sql = adminSql(4);
const clients: SupabaseClient[] = [];
let a: TestOrg;
let b: TestOrg;

async function signedIn(email: string): Promise<SupabaseClient> {
  const c = createClient(info.apiUrl, info.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
  clients.push(c);
  const { error } = await c.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw error;
  await c.realtime.setAuth();
  return c;
}

const invoke = (c: SupabaseClient, body: unknown) => invokeFunction(c, 'org-settings', body);

/** Subscribe to org_settings changes; resolves once joined, collecting the payloads' new rows. */
async function follow(c: SupabaseClient, orgId: string): Promise<Array<Record<string, unknown>>> {
  const seen: Array<Record<string, unknown>> = [];
  await new Promise<void>((resolve, reject) => {
    c.channel(`settings-${orgId}-${clients.indexOf(c)}`)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'org_settings', filter: `org_id=eq.${orgId}` }, (p) => { seen.push(p.new as Record<string, unknown>); })
      .subscribe((status, err) => {
        if (status === 'SUBSCRIBED') resolve();
        else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
      });
  });
  return seen;
}

beforeAll(async () => {
  a = await createTestOrg(sql, 'settings-e2e-a');
  b = await createTestOrg(sql, 'settings-e2e-b');
});
afterAll(async () => {
  for (const c of clients) await c.removeAllChannels();
  await sql.end();
});

describe('org-settings on Deno, followed over Realtime', () => {
  it('an admin updates through the gateway; the org\'s open pages see it, another org\'s do not', async () => {
    const admin = await signedIn((await addMember(sql, a.id, 'admin')).email);
    const viewerA = await signedIn(a.viewer.email);
    const viewerB = await signedIn(b.viewer.email);
    const seenA = await follow(viewerA, a.id);
    const seenB = await follow(viewerB, a.id);

    const area = { type: 'Polygon', coordinates: [[[4.46, 51.91], [4.5, 51.91], [4.5, 51.93], [4.46, 51.93], [4.46, 51.91]]] };
    const r = await invoke(admin, { action: 'update', org_id: a.id, time_zone: 'Europe/Amsterdam', area });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ time_zone: 'Europe/Amsterdam', changed: ['area', 'time_zone'] });
    expect(r.body.area_cell_count).toBeGreaterThan(3);

    const bad = await invoke(admin, { action: 'update', org_id: a.id, area: { ...area, coordinates: [[[4.46, 51.91], [4.5, 51.93], [4.5, 51.91], [4.46, 51.93], [4.46, 51.91]]] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors[0]).toMatchObject({ path: 'area.coordinates[0]' });
    expect((await invoke(viewerA, { action: 'update', org_id: a.id, time_zone: 'UTC' })).status).toBe(403);

    await expect.poll(() => seenA.map((row) => row['time_zone']), { timeout: 15_000, interval: 200 }).toContain('Europe/Amsterdam');
    // The area's cells (up to 50,000) live in org_area_cells, outside the publication: never in a payload.
    expect(seenA.filter((row) => 'area_cells' in row || 'cells' in row)).toEqual([]);
    expect(await sql`select cardinality(cells)::int as n from public.org_area_cells where org_id = ${a.id}`).toEqual([{ n: r.body.area_cell_count }]);
    await new Promise((res) => setTimeout(res, 1000));
    expect(seenB).toEqual([]);
  });
});
