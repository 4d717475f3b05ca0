/**
 * Notifications end to end on the shared stack: the alerts trigger writes the outbox,
 * pg_net wakes the notification-worker function (real Deno, config.toml's
 * HOTWATCH_ALLOW_PRIVATE_TARGETS on), which delivers to local receivers on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { waitFor } from '../../support/hardening.ts';
import { createTenant, type Tenant } from '../security/support.ts';
import { drain } from '../../../functions/notification-worker/drain.ts';
import { createWorkerHandler } from '../../../functions/notification-worker/handler.ts';
import { anonToken, call, jsonRequest, serviceToken } from '../../support/functions.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { channelsHandler, fireAlert, insertFiringAlert, transitions, verifySignature } from './world.ts';

const sql = adminSql(6);
const channels = channelsHandler(sql, true);
const receivers: Receiver[] = [];
let a: Tenant;
let b: Tenant;

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function channel(t: Tenant, url: string, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const r = await channels({ action: 'create', org_id: t.id, kind: 'webhook', name: `ch-${Math.random().toString(36).slice(2, 8)}`, url, ...extra }, t.members.admin.token);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.channel.id, secret: r.body.secret ?? extra.secret };
}

const outbox = (channelId: string) => sql<Array<{ id: string; event: string; status: string; attempts: number; idempotency_key: string; silence_id: string | null }>>`
  select id, event, status, attempts, idempotency_key, silence_id from public.notification_outbox where channel_id = ${channelId} order by id`;
const attempts = (outboxId: string) => sql<Array<{ attempt: number; outcome: string; http_status: number | null; latency_ms: number | null }>>`
  select attempt, outcome, http_status, latency_ms from public.notification_attempts where outbox_id = ${outboxId} order by id`;

beforeAll(async () => {
  a = await createTenant(sql, 'notify-a');
  b = await createTenant(sql, 'notify-b');
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sql.end();
});

describe('notification delivery', () => {
  it('every event of an alert reaches a healthy receiver once, in order, signed, one Idempotency-Key each, attempts logged', async () => {
    const rx = await receiver();
    const ch = await channel(a, rx.url);
    expect(ch.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const { alertId, committedAt } = await fireAlert(sql, a.id);
    await waitFor(() => rx.got.length >= 1, 30_000, 'the firing');
    const latencyMs = rx.got[0]!.at - committedAt;
    for (const step of [transitions.escalate, transitions.grow, transitions.acknowledge, transitions.resolve]) {
      const before = rx.got.length;
      await step(sql, alertId);
      await waitFor(() => rx.got.length > before, 30_000, 'the next event');
    }
    await waitFor(async () => (await outbox(ch.id)).every((o) => o.status === 'delivered'), 15_000, 'all delivered');
    expect(rx.got.map((g) => g.body.event)).toEqual(['fired', 'escalated', 'grew', 'acknowledged', 'resolved']);
    const keys = rx.got.map((g) => g.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(5);
    for (const g of rx.got) {
      expect(verifySignature(g.headers['hotwatch-signature'] as string, g.raw, ch.secret)).toBe(true);
      expect(verifySignature(g.headers['hotwatch-signature'] as string, g.raw, 'whsec_wrong')).toBe(false);
      expect(g.body.alert.id).toBe(Number(alertId));
      expect(g.body).toMatchObject({ org: { id: a.id }, alert: { title: 'High fire hotspot', category: 'fire' } });
    }
    expect(rx.got[1]!.body.alert.severity).toBe('critical');
    expect(rx.got[4]!.body.alert.state).toBe('resolved');
    const rows = await outbox(ch.id);
    expect(rows.map((o) => o.idempotency_key)).toEqual(keys);
    for (const o of rows) {
      const log = await attempts(o.id);
      expect(log).toEqual([expect.objectContaining({ attempt: 1, outcome: 'delivered', http_status: 200 })]);
      expect(log[0]!.latency_ms).toBeGreaterThan(0);
    }
    console.info(`notification latency (alert commit → receiver request): ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(10_000); // the 2 s p95 goal is the benchmark's; a loaded CI machine gets slack here
  }, 120_000);

  it('500 then 200, and 429 with Retry-After: retried with the same Idempotency-Key until delivered', async () => {
    const rx = await receiver();
    rx.script({ status: 500 }, { status: 429, retryAfter: '2' });
    const ch = await channel(a, rx.url);
    await fireAlert(sql, a.id);
    await waitFor(() => rx.got.length >= 3, 45_000, 'three requests');
    await waitFor(async () => (await outbox(ch.id))[0]?.status === 'delivered', 15_000, 'delivered');
    expect(new Set(rx.got.map((g) => g.headers['idempotency-key'])).size).toBe(1);
    expect(rx.got[2]!.at - rx.got[1]!.at).toBeGreaterThanOrEqual(1_900); // Retry-After: 2 honoured
    for (const g of rx.got) expect(verifySignature(g.headers['hotwatch-signature'] as string, g.raw, ch.secret)).toBe(true);
    const [row] = await outbox(ch.id);
    expect((await attempts(row!.id)).map((x) => [x.outcome, x.http_status])).toEqual([['retry', 500], ['retry', 429], ['delivered', 200]]);
  }, 90_000);

  it('a receiver that times out or closes the connection gets it again', async () => {
    const rx = await receiver();
    rx.script('close', 'hang');
    const ch = await channel(a, rx.url);
    await fireAlert(sql, a.id);
    await waitFor(() => rx.got.length >= 3, 60_000, 'three requests');
    await waitFor(async () => (await outbox(ch.id))[0]?.status === 'delivered', 15_000, 'delivered');
    expect(new Set(rx.got.map((g) => g.headers['idempotency-key'])).size).toBe(1);
    const [row] = await outbox(ch.id);
    const log = await attempts(row!.id);
    expect(log.map((x) => x.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(log[1]!.http_status).toBeNull();
  }, 90_000);

  it('an alert nobody was told about is not announced when acknowledged; its first notification is "fired"', async () => {
    const rx = await receiver();
    const ch = await channel(a, rx.url);
    const { alertId } = await fireAlert(sql, a.id);
    await waitFor(() => rx.got.length === 1, 30_000, 'the firing');
    // a second alert that is pending (never notified), acknowledged, then escalated by the scan
    const [h] = await sql`select hotspot_id from public.alerts where id = ${alertId}`;
    const [p] = await sql`insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, state, title, description)
                          values (${a.id}, ${h!.hotspot_id}, ${'pending-' + alertId}, 'fire', 'low', 'pending', 'Low fire hotspot', 'x') returning id`;
    await transitions.acknowledge(sql, p!.id);
    await transitions.escalate(sql, p!.id);
    await waitFor(() => rx.got.length === 2, 30_000, 'the escalation of the pending alert');
    expect(rx.got[1]!.body).toMatchObject({ event: 'fired', alert: { id: Number(p!.id), severity: 'critical' } });
    expect((await outbox(ch.id)).map((o) => o.event)).toEqual(['fired', 'fired']);
  }, 60_000);

  it('per alert, events go in order: an escalation waits for its firing\'s retry', async () => {
    const rx = await receiver();
    rx.script({ status: 503, retryAfter: '1' });
    const ch = await channel(a, rx.url);
    const { alertId } = await fireAlert(sql, a.id);
    await transitions.escalate(sql, alertId); // committed while the firing is still undelivered
    await waitFor(() => rx.got.length >= 3, 30_000, 'three requests');
    expect(rx.got.map((g) => g.body.event)).toEqual(['fired', 'fired', 'escalated']);
    await waitFor(async () => (await outbox(ch.id)).every((o) => o.status === 'delivered'), 15_000, 'delivered');
  }, 60_000);

  it('concurrent workers never send the same attempt twice (skip locked)', async () => {
    const rx = await receiver({ delayMs: 50 });
    const ch = await channel(b, rx.url);
    // queue 40 notifications in one transaction, then race four in-process drains with the Deno worker
    await sql.begin(async (tx) => {
      await tx`select set_config('hotwatch.notification_wake_queued', 'on', true)`; // no wake-up: the race starts together
      for (let i = 0; i < 40; i++) await insertFiringAlert(tx, b.id);
    });
    const deps = { sql, allowPrivateTargets: true, resolveHost: async () => [], alertUrl: (id: string) => `http://x/#alert-${id}` };
    await Promise.all([...Array.from({ length: 4 }, () => drain(deps, 5_000)), sql`select private.wake_notification_worker()`]);
    await waitFor(async () => (await outbox(ch.id)).filter((o) => o.status === 'delivered').length === 40, 60_000, '40 delivered');
    const rows = await outbox(ch.id);
    expect(rows.every((o) => o.attempts === 1)).toBe(true);
    expect(rx.got).toHaveLength(40);
    expect(new Set(rx.got.map((g) => g.headers['idempotency-key'])).size).toBe(40);
  }, 90_000);

  it('a 4xx answer stops (dead); an admin re-sends it with the same key', async () => {
    const rx = await receiver();
    rx.script({ status: 410 });
    const ch = await channel(a, rx.url);
    await fireAlert(sql, a.id);
    await waitFor(async () => (await outbox(ch.id))[0]?.status === 'dead', 30_000, 'dead');
    const [dead] = await outbox(ch.id);
    expect((await attempts(dead!.id)).map((x) => [x.outcome, x.http_status])).toEqual([['failed', 410]]);
    expect((await channels({ action: 'resend', outbox_id: dead!.id }, a.members.operator.token)).status).toBe(403);
    expect((await channels({ action: 'resend', outbox_id: dead!.id }, b.members.admin.token)).status).toBe(404);
    const r = await channels({ action: 'resend', outbox_id: dead!.id }, a.members.admin.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await waitFor(async () => (await outbox(ch.id))[0]?.status === 'delivered', 30_000, 'delivered after resend');
    expect(rx.got).toHaveLength(2);
    expect(rx.got[1]!.headers['idempotency-key']).toBe(rx.got[0]!.headers['idempotency-key']);
    expect((await channels({ action: 'resend', outbox_id: dead!.id }, a.members.admin.token)).status).toBe(409);
  }, 90_000);

  it('nothing is sent for an alert the rule excludes or a silence covers; both are recorded', async () => {
    const rx = await receiver();
    const strict = await channel(b, rx.url, { rule: { min_severity: 'critical', events: ['fired'] } });
    await fireAlert(sql, b.id, { severity: 'high' });
    await waitFor(async () => (await outbox(strict.id))[0]?.status === 'excluded', 30_000, 'excluded');
    // an operator silences floods over REST (RLS); a viewer may not
    const ends = new Date(Date.now() + 3_600_000).toISOString();
    const denied = await b.members.viewer.client.from('silences').insert({ org_id: b.id, category: 'flood', ends_at: ends, reason: 'drill', created_by: b.members.viewer.userId });
    expect(denied.error?.code).toBe('42501');
    const { data: silence, error } = await b.members.operator.client.from('silences')
      .insert({ org_id: b.id, category: 'flood', ends_at: ends, reason: 'pump maintenance' }).select().single();
    expect(error).toBeNull();
    await fireAlert(sql, b.id, { severity: 'critical', category: 'flood' });
    await waitFor(async () => (await outbox(strict.id)).length === 2 && (await outbox(strict.id))[1]!.status === 'silenced', 30_000, 'silenced');
    expect((await outbox(strict.id))[1]!.silence_id).toBe(silence!.id);
    const critical = await fireAlert(sql, b.id, { severity: 'critical', category: 'fire' });
    await waitFor(() => rx.got.length === 1, 30_000, 'the routed one');
    expect(rx.got[0]!.body.alert.id).toBe(Number(critical.alertId));
    // members see the silence; another org does not
    expect((await b.members.viewer.client.from('silences').select('id').eq('id', silence!.id)).data).toHaveLength(1);
    expect((await a.members.admin.client.from('silences').select('id').eq('id', silence!.id)).data).toHaveLength(0);
  }, 90_000);
});

describe('channels: who may do what, and the secret stays secret', () => {
  it('only the org\'s admin manages a channel; members see it exists; another org sees nothing', async () => {
    const ch = await channel(a, 'http://127.0.0.1:9/never');
    for (const action of ['update', 'test', 'delete']) {
      const body = { action, channel_id: ch.id, ...(action === 'update' ? { name: 'stolen' } : {}) };
      expect((await channels(body, b.members.admin.token)).body.error.code, action).toBe('channel_not_found');
      expect((await channels(body, a.members.operator.token)).status, action).toBe(403);
    }
    expect((await channels({ action: 'create', org_id: a.id, kind: 'webhook', name: 'x', url: 'http://127.0.0.1:9/' }, b.members.admin.token)).status).toBe(404);
    expect((await a.members.viewer.client.from('notification_channels').select('id, name, target').eq('id', ch.id)).data).toHaveLength(1);
    expect((await b.members.admin.client.from('notification_channels').select('id').eq('id', ch.id)).data).toHaveLength(0);
    // the delivery log is the admins'
    expect((await a.members.operator.client.from('notification_outbox').select('id').eq('org_id', a.id)).data).toHaveLength(0);
    expect((await a.members.admin.client.from('notification_outbox').select('id').eq('org_id', a.id)).data!.length).toBeGreaterThan(0);
    expect((await b.members.admin.client.from('notification_attempts').select('id').eq('org_id', a.id)).data).toHaveLength(0);
    // nobody writes channels over REST
    const w = await a.members.admin.client.from('notification_channels').update({ name: 'direct' }).eq('id', ch.id).select();
    expect(w.data ?? []).toHaveLength(0);
    const upd = await channels({ action: 'update', channel_id: ch.id, name: 'renamed', rule: { categories: ['fire'] } }, a.members.admin.token);
    expect(upd).toMatchObject({ status: 200, body: { channel: { name: 'renamed', rule: { categories: ['fire'] } } } });
    expect((await channels({ action: 'delete', channel_id: ch.id }, a.members.admin.token)).status).toBe(200);
    expect(await sql`select 1 from public.notification_channels where id = ${ch.id}`).toHaveLength(0);
    const audit = await sql`select action, actor, before, after from public.audit_log where target_id = ${ch.id} order by id`;
    expect(audit.map((r) => r.action)).toEqual(['channel.create', 'channel.update', 'channel.delete']);
    expect(audit.every((r) => r.actor === a.members.admin.userId)).toBe(true);
    expect(audit[1]).toMatchObject({ before: { name: expect.any(String), rule: {} }, after: { name: 'renamed', rule: { categories: ['fire'] } } });
  });

  it('test sends a signed sample to the receiver and reports its answer', async () => {
    const rx = await receiver();
    rx.script({ status: 503 });
    const ch = await channel(a, rx.url);
    const failed = await channels({ action: 'test', channel_id: ch.id }, a.members.admin.token);
    expect(failed).toMatchObject({ status: 200, body: { delivered: false, http_status: 503, response: 'answer 503' } });
    const ok = await channels({ action: 'test', channel_id: ch.id }, a.members.admin.token);
    expect(ok).toMatchObject({ status: 200, body: { delivered: true, http_status: 200 } });
    expect(rx.got).toHaveLength(2);
    expect(rx.got[1]!.body).toMatchObject({ event: 'test', type: 'alert.test', org: { id: a.id } });
    expect(verifySignature(rx.got[1]!.headers['hotwatch-signature'] as string, rx.got[1]!.raw, ch.secret)).toBe(true);
    expect(await sql`select 1 from public.notification_outbox where channel_id = ${ch.id}`).toHaveLength(0);
  });

  it('only the service role runs the worker', async () => {
    const worker = createWorkerHandler({
      sql, allowPrivateTargets: true, resolveHost: async () => [], alertUrl: (id) => `http://x/#alert-${id}`, background: () => {},
    });
    const run = async (token: string) => (await call(worker, jsonRequest('http://local/functions/v1/notification-worker', { wait: true }, token)));
    expect((await run(await anonToken())).status).toBe(401);
    expect((await run(a.members.admin.token)).status).toBe(403);
    const ok = await run(await serviceToken());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ sent: expect.any(Number), delivered: expect.any(Number) });
    expect((await call(worker, jsonRequest('http://local/functions/v1/notification-worker', { wait: 'yes' }, await serviceToken()))).body.error.errors[0].path).toBe('wait');
  });

  it('the secret and full URL never appear over REST, are stored only in Vault, and are not published to Realtime', async () => {
    const secret = `whsec_given_${'s'.repeat(30)}`;
    const url = 'http://127.0.0.1:9/private-path-token-abc123';
    const ch = await channel(a, url, { secret });
    const created = await channels({ action: 'update', channel_id: ch.id, secret: `${secret}2` }, a.members.admin.token);
    expect(JSON.stringify(created.body)).not.toContain(secret);
    const audit = await sql`select before, after from public.audit_log where target_id = ${ch.id}`;
    expect(audit.map((r) => r.after)).toContainEqual({ secret_changed: true });
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain('private-path-token');
    for (const table of ['notification_channels', 'notification_outbox', 'notification_attempts']) {
      const { data } = await a.members.admin.client.from(table).select('*');
      const text = JSON.stringify(data);
      expect(text).not.toContain(secret);
      expect(text).not.toContain('private-path-token');
    }
    const [row] = await sql`select target from public.notification_channels where id = ${ch.id}`;
    expect(row!.target).toBe('http://127.0.0.1:9');
    const vault = await a.members.admin.client.schema('vault' as 'public').from('decrypted_secrets').select('*');
    expect(vault.data ?? []).toHaveLength(0);
    const published = await sql`select tablename from pg_publication_tables where pubname = 'supabase_realtime' and tablename like 'notification%'`;
    expect(published).toHaveLength(0);
  });

  it('a private target is refused when the setting is off, and nothing is stored', async () => {
    const strict = channelsHandler(sql, false);
    const before = await sql`select count(*)::int as n from public.notification_channels where org_id = ${a.id}`;
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://10.0.0.8/']) {
      const r = await strict({ action: 'create', org_id: a.id, kind: 'webhook', name: `p-${url.length}`, url }, a.members.admin.token);
      expect(r, url).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', errors: [{ path: 'url', code: 'private_target' }] } } });
    }
    const bad = await strict({ action: 'create', org_id: a.id, kind: 'carrier-pigeon', name: 'x', url: 'ftp://x', rule: { min_severity: 'huge' } }, a.members.admin.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors.map((e: { path: string }) => e.path).sort()).toEqual(['kind', 'rule.min_severity']);
    const after = await sql`select count(*)::int as n from public.notification_channels where org_id = ${a.id}`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
