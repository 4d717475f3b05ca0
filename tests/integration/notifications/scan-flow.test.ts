/**
 * The flow: an admin adds a webhook with a rule, a scan fires an alert, the
 * receiver gets it signed; an operator acknowledges it and the receiver hears that too.
 * The scan and the decision run in-process (as in the functions suites); delivery is
 * the stack's real path (trigger → pg_net → notification-worker on Deno).
 */
import { gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionsHandler } from '../../../functions/decisions/handler.ts';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import { runScan } from '../../../functions/hotspot-scan/run.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { call, jsonRequest, userToken } from '../../support/functions.ts';
import { waitFor } from '../../support/hardening.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from '../functions/seed-events.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { channelsHandler, verifySignature } from './world.ts';

const sql = adminSql(6);
// 12 days ahead of the shared stack's scheduled scans, as the scan suite does.
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;
let org: TestOrg;
let rx: Receiver;

beforeAll(async () => {
  org = await createTestOrg(sql, 'notify-scan');
  await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
  await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
  await sql.end();
});

describe('a scan that fires an alert notifies the channel', () => {
  it('fired reaches the webhook signed; the acknowledgement follows; a rule-excluded channel gets nothing', async () => {
    const admin = await userToken(org.operator.id, { [org.id]: 'admin' });
    const channels = channelsHandler(sql, true);
    const routed = await channels({ action: 'create', org_id: org.id, kind: 'webhook', name: 'fire desk', url: rx.url, rule: { categories: ['fire'], min_severity: 'medium' } }, admin);
    expect(routed.status).toBe(201);
    const other = await channels({ action: 'create', org_id: org.id, kind: 'webhook', name: 'floods only', url: rx.url, rule: { categories: ['flood'] } }, admin);
    expect(other.status).toBe(201);

    await seedBurst(sql, org.id, gridDisk(areaCells()[0]!, 1), 40, NOW, { tag: 'notify' });
    let fired = 0;
    for (let i = 0; i < 5 && fired === 0; i++) {
      const s = await runScan({ sql, engine: scanCube, now: () => NOW, report: (e) => console.error('SCAN', e) }, org.id, 'manual');
      fired = s.status === 'succeeded' ? s.alerts.fired : 0;
    }
    expect(fired).toBeGreaterThanOrEqual(1);
    await waitFor(() => rx.got.length >= fired, 30_000, 'the firing');
    const [alert] = await sql`select id, title, severity from public.alerts where org_id = ${org.id} and state = 'firing' order by id limit 1`;
    const got = rx.got.find((g) => g.body.alert.id === Number(alert!.id))!;
    expect(got.body).toMatchObject({ event: 'fired', alert: { title: alert!.title, severity: alert!.severity, category: 'fire' } });
    expect(verifySignature(got.headers['hotwatch-signature'] as string, got.raw, routed.body.secret)).toBe(true);

    const decisions = createDecisionsHandler({ sql });
    const ack = await call(decisions, jsonRequest('http://local/functions/v1/decisions', { action: 'acknowledge', alert_id: Number(alert!.id) }, await userToken(org.operator.id, { [org.id]: 'operator' })));
    expect(ack.status).toBe(200);
    await waitFor(() => rx.got.some((g) => g.body.event === 'acknowledged' && g.body.alert.id === Number(alert!.id)), 30_000, 'the acknowledgement');
    const statuses = await sql`select channel_id, status from public.notification_outbox where alert_id = ${alert!.id} order by id`;
    expect(statuses.filter((s) => s.channel_id === other.body.channel.id).map((s) => s.status)).toEqual(['excluded', 'excluded']);
  }, 180_000);
});
