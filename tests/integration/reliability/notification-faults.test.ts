/**
 * Notifications through faults (issue 24): a burst of alerts while the
 * notification-worker's Deno process is killed -9 mid-send and PostgreSQL is killed -9
 * and restarted. pg_net's queue does not survive the crash and the killed sends are never
 * confirmed, so delivery rests on the outbox: the schedule's safety net and the claim
 * lease must send everything again. Nothing committed is lost; each Idempotency-Key
 * belongs to one (alert, event); a key may arrive more than once (at least once).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionsGateway } from '../../../stack/src/functions-gateway/service.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { userToken } from '../../support/functions.ts';
import { sleep, waitFor } from '../../support/hardening.ts';
import { startReceiver, type Receiver } from '../notifications/receiver.ts';
import { channelsHandler, fireAlert } from '../notifications/world.ts';
import { restartPostgres, startOwnStack, type OwnStack } from './fault-kit.ts';

let own: OwnStack | undefined;
let rx: Receiver | undefined;
afterAll(async () => {
  await rx?.close();
  await own?.stop();
});

describe('notifications survive a worker kill and a PostgreSQL crash', () => {
  it('a burst of 30 alerts: every committed alert event reaches the receiver, no key shared by two events', async () => {
    own = await startOwnStack();
    const stack = own;
    rx = await startReceiver({ delayMs: 300, maxRequests: 500 });
    const org = await createTestOrg(stack.sql, 'notify-faults');
    const admin = await userToken(org.operator.id, { [org.id]: 'admin' });
    const created = await channelsHandler(stack.sql, true)({ action: 'create', org_id: org.id, kind: 'webhook', name: 'faults', url: rx.url }, admin);
    expect(created.status).toBe(201);
    const fns = stack.stack.services.get('functions') as FunctionsGateway;

    let committed = 0;
    const producer = (async () => {
      for (let i = 0; i < 30; i++) {
        for (;;) {
          try {
            await fireAlert(stack.sql, org.id);
            committed++;
            break;
          } catch {
            await sleep(250); // PostgreSQL is down: retry as a real producer would
          }
        }
        await sleep(100);
      }
    })();

    await waitFor(() => rx!.got.length >= 3, 60_000, 'the first deliveries');
    const worker = fns.worker('notification-worker');
    expect(worker?.pid).toBeTruthy();
    process.kill(worker!.pid!, 'SIGKILL');
    await waitFor(() => committed >= 15, 60_000, 'half the burst');
    await restartPostgres(stack);
    await producer;

    const sql = stack.sql;
    const expected = await sql<Array<{ idempotency_key: string; alert_id: string }>>`
      select o.idempotency_key, o.alert_id from public.notification_outbox o where o.org_id = ${org.id}`;
    const alerts = await sql`select id from public.alerts where org_id = ${org.id}`;
    expect(alerts.length).toBeGreaterThanOrEqual(30);
    expect(expected).toHaveLength(alerts.length); // the trigger wrote one row per committed alert
    await waitFor(async () => {
      const [r] = await stack.sql`select count(*)::int as n from public.notification_outbox where org_id = ${org.id} and status <> 'delivered'`;
      return r!.n === 0;
    }, 180_000, 'every outbox row delivered');
    const keyToAlert = new Map<string, number>();
    for (const g of rx.got) {
      const key = g.headers['idempotency-key'] as string;
      const prev = keyToAlert.get(key);
      if (prev !== undefined) expect(g.body.alert.id, `key ${key} used for two alerts`).toBe(prev);
      keyToAlert.set(key, g.body.alert.id);
    }
    for (const e of expected) expect(keyToAlert.get(e.idempotency_key), e.idempotency_key).toBe(Number(e.alert_id));
    const unconfirmed = await sql`select count(*)::int as n from public.notification_attempts where org_id = ${org.id} and outcome in ('unconfirmed', 'retry')`;
    console.info(`notification faults: ${alerts.length} alerts, ${rx.got.length} requests, ${unconfirmed[0]!.n} unconfirmed/retried attempts`);
  }, 420_000);
});
