/**
 * Notifications part 2 end to end on the shared stack: Slack, Teams, PagerDuty and email
 * channels created through notification-channels, alerts fired by SQL as the scan
 * writes them, delivered by the notification-worker (real Deno, woken by pg_net) to a
 * local receiver per kind on 127.0.0.1 — which checks the body against the destination's
 * documented schema and the headers it requires — and, for email, to the stack's mail
 * catcher over SMTP, read back through its Mailpit-compatible API. PagerDuty's
 * acknowledge and resolve come from the real `decisions` function.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { waitFor } from '../../support/hardening.ts';
import { messagesTo } from '../../support/inbox.ts';
import { parse, pdFollowUp, pdTrigger, slackMessage, teamsMessage } from '../../support/notification-schemas.ts';
import { createTenant, type Tenant } from '../security/support.ts';
import { startReceiver, type Behaviour, type Receiver } from './receiver.ts';
import { channelsHandler, fireAlert } from './world.ts';

const sql = adminSql(4);
const channels = channelsHandler(sql, true);
const strictChannels = channelsHandler(sql, false);
const receivers: Receiver[] = [];
const ROUTING_KEY = 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32';
let t: Tenant;

async function receiver(fallback: Behaviour): Promise<Receiver> {
  const r = await startReceiver({ fallback });
  receivers.push(r);
  return r;
}

const uniq = () => Math.random().toString(36).slice(2, 8);

async function channel(kind: string, fields: Record<string, unknown>): Promise<string> {
  const r = await channels({ action: 'create', org_id: t.id, kind, name: `${kind}-${uniq()}`, ...fields }, t.members.admin.token);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.secret).toBeUndefined(); // only a webhook's generated signing secret is ever shown
  return r.body.channel.id;
}

const outbox = (channelId: string) => sql<Array<{ id: string; event: string; status: string; last_error: string | null }>>`
  select id, event, status, last_error from public.notification_outbox where channel_id = ${channelId} order by id`;
const attempts = (channelId: string) => sql<Array<{ outcome: string; http_status: number | null; error: string | null; response: string | null }>>`
  select a.outcome, a.http_status, a.error, a.response from public.notification_attempts a
    join public.notification_outbox o on o.id = a.outbox_id where o.channel_id = ${channelId} order by a.id`;

async function decide(action: 'acknowledge' | 'resolve', alertId: string): Promise<void> {
  const res = await fetch(`${inject('stack').apiUrl}/functions/v1/decisions`, {
    method: 'POST', headers: { authorization: `Bearer ${t.members.operator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action, alert_id: Number(alertId) }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The requests that reached a receiver for one alert (other tests' alerts of the org go to other channels). */
const expectJsonHeaders = (h: Record<string, unknown>) => {
  expect(h['content-type']).toBe('application/json');
  expect(h['user-agent']).toBe('Hotwatch-Notifications/1.0');
  expect(h['idempotency-key']).toMatch(/^alert-\d+-v\d+-\w+$/);
  expect(h['hotwatch-signature']).toBeUndefined();
};

beforeAll(async () => {
  t = await createTenant(sql, 'notify-kinds');
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sql.end();
});

describe('channel kinds', () => {
  it('Slack: one Block Kit message per event, JSON, unsigned; Slack\'s "ok" is delivered', async () => {
    const rx = await receiver({ status: 200, body: 'ok' });
    const id = await channel('slack', { url: rx.url });
    const { alertId } = await fireAlert(sql, t.id, { severity: 'critical' });
    await waitFor(async () => (await outbox(id))[0]?.status === 'delivered', 30_000, 'slack delivered');
    expect(rx.got).toHaveLength(1);
    const g = rx.got[0]!;
    expectJsonHeaders(g.headers);
    expect(parse(slackMessage, g.body)).toBe('ok');
    expect(g.raw).toContain(`#alert-${alertId}`);
    expect(g.raw).toContain('critical');
    expect(g.raw).toContain('30 events in 1 cell');
    expect(g.raw).toContain('40.75000, -73.99000');
    expect((g.body as { text?: string }).text).toContain('High fire hotspot');
    expect(await attempts(id)).toEqual([expect.objectContaining({ outcome: 'delivered', http_status: 200, response: 'ok' })]);
  }, 60_000);

  it('Slack: invalid_payload (400) is dead at once with Slack\'s word; 429 then ok is retried', async () => {
    const bad = await receiver({ status: 400, body: 'invalid_payload' });
    const badId = await channel('slack', { url: bad.url });
    const busy = await receiver({ status: 200, body: 'ok' });
    busy.script({ status: 429, body: 'rate_limited', retryAfter: '1' });
    const busyId = await channel('slack', { url: busy.url });
    await fireAlert(sql, t.id);
    await waitFor(async () => (await outbox(badId))[0]?.status === 'dead', 30_000, 'dead');
    expect((await outbox(badId))[0]!.last_error).toBe('HTTP 400: invalid_payload');
    expect(bad.got).toHaveLength(1);
    await waitFor(async () => (await outbox(busyId))[0]?.status === 'delivered', 30_000, 'delivered after 429');
    expect((await attempts(busyId)).map((a) => [a.outcome, a.http_status])).toEqual([['retry', 429], ['delivered', 200]]);
  }, 60_000);

  it('Teams: an Adaptive Card message per event; the Workflows 202 is delivered', async () => {
    const rx = await receiver({ status: 202 });
    const id = await channel('teams', { url: rx.url });
    const { alertId } = await fireAlert(sql, t.id);
    await waitFor(async () => (await outbox(id))[0]?.status === 'delivered', 30_000, 'teams delivered');
    expect(rx.got).toHaveLength(1);
    expectJsonHeaders(rx.got[0]!.headers);
    expect(parse(teamsMessage, rx.got[0]!.body)).toBe('ok');
    expect(rx.got[0]!.raw).toContain(`#alert-${alertId}`);
  }, 60_000);

  it('PagerDuty: trigger on firing; acknowledge and resolve follow the alert through `decisions`, one dedup_key; 5xx retried', async () => {
    const pdAnswer = (key: string): Behaviour => ({ status: 202, type: 'application/json', body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: key }) });
    const rx = await receiver(pdAnswer('x'));
    rx.script({ status: 502 });
    // The rule names only "fired": acknowledge and resolve are sent anyway, or the incident would stay open.
    const id = await channel('pagerduty', { url: rx.url, secret: ROUTING_KEY, rule: { events: ['fired'] } });
    const { alertId } = await fireAlert(sql, t.id, { severity: 'high' });
    await waitFor(async () => (await outbox(id))[0]?.status === 'delivered', 45_000, 'trigger delivered');
    await decide('acknowledge', alertId);
    await waitFor(async () => (await outbox(id)).filter((o) => o.status === 'delivered').length === 2, 30_000, 'acknowledge delivered');
    await decide('resolve', alertId);
    await waitFor(async () => (await outbox(id)).filter((o) => o.status === 'delivered').length === 3, 30_000, 'resolve delivered');
    const bodies = rx.got.map((g) => g.body as Record<string, unknown>);
    expect(bodies.map((b) => b.event_action)).toEqual(['trigger', 'trigger', 'acknowledge', 'resolve']);
    expect(parse(pdTrigger, bodies[0])).toBe('ok');
    expect(parse(pdFollowUp, bodies[2])).toBe('ok');
    expect(parse(pdFollowUp, bodies[3])).toBe('ok');
    expect(new Set(bodies.map((b) => b.dedup_key))).toEqual(new Set([`hotwatch-${t.id}-alert-${alertId}`]));
    expect(bodies.every((b) => b.routing_key === ROUTING_KEY)).toBe(true);
    expect((bodies[0]!.payload as { severity: string }).severity).toBe('error'); // high → error
    for (const g of rx.got) expectJsonHeaders(g.headers);
    expect((await outbox(id)).map((o) => o.event)).toEqual(['fired', 'acknowledged', 'resolved']);
    expect((await attempts(id)).map((a) => [a.outcome, a.http_status])).toEqual([['retry', 502], ['delivered', 202], ['delivered', 202], ['delivered', 202]]);
  }, 120_000);

  it('email: arrives in the mail catcher with a plain-text and an HTML part, to every address', async () => {
    const to = [`ops-${uniq()}@example.com`, `duty-${uniq()}@example.com`];
    const id = await channel('email', { addresses: to, url: `smtp://127.0.0.1:${inject('stack').smtpPort}` });
    const { alertId } = await fireAlert(sql, t.id);
    await waitFor(async () => (await outbox(id))[0]?.status === 'delivered', 30_000, 'email delivered');
    for (const address of to) {
      const [m] = await messagesTo(address, 1);
      expect(m!.Subject).toBe('[Hotwatch] Alert fired: High fire hotspot (high)');
      expect(m!.Text).toContain(`#alert-${alertId}`);
      expect(m!.Text).toContain('Severity: high');
      expect(m!.HTML).toContain('<table');
      expect(m!.HTML).toContain(`#alert-${alertId}`);
    }
    const test = await channels({ action: 'test', channel_id: id }, t.members.admin.token);
    expect(test.body).toMatchObject({ delivered: true, http_status: null, error: null });
    expect((await messagesTo(to[0]!, 2))[0]!.Subject).toContain('Test notification');
  }, 60_000);

  it('each kind checks its own fields, with field errors, and stores nothing on error', async () => {
    const admin = t.members.admin.token;
    const create = (kind: string, fields: Record<string, unknown>, fn = channels) => fn({ action: 'create', org_id: t.id, kind, name: `bad-${uniq()}`, ...fields }, admin);
    const errors = async (p: ReturnType<typeof create>) => {
      const r = await p;
      expect(r.status).toBe(400);
      return r.body.error.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`);
    };
    const before = await sql`select count(*)::int as n from public.notification_channels where org_id = ${t.id}`;
    expect(await errors(create('slack', {}))).toEqual(['url:invalid_type']);
    expect(await errors(create('slack', { url: 'https://hooks.slack.com/services/T/B/X', secret: 'x'.repeat(30) }))).toEqual(['secret:unrecognized_key']);
    expect(await errors(create('pagerduty', {}))).toEqual(['secret:invalid_type']);
    expect(await errors(create('pagerduty', { secret: 'too-short' }))).toEqual(['secret:invalid_format']);
    expect(await errors(create('email', { addresses: ['ok@example.com', 'nope'] }))).toEqual(['addresses[1]:invalid_format']);
    expect(await errors(create('email', { addresses: ['ok@example.com'], url: 'ftp://mail.example.com' }))).toEqual(['url:unsupported_scheme']);
    expect(await errors(create('email', { addresses: ['ok@example.com'], url: 'smtp://127.0.0.1:25' }, strictChannels))).toEqual(['url:private_target']);
    expect(await errors(create('teams', { url: 'http://10.0.0.7/hook' }, strictChannels))).toEqual(['url:private_target']);
    const after = await sql`select count(*)::int as n from public.notification_channels where org_id = ${t.id}`;
    expect(after[0]!.n).toBe(before[0]!.n);
    // PagerDuty without a url goes to the public Events API; email without one to the project's mail server.
    const pd = await channels({ action: 'create', org_id: t.id, kind: 'pagerduty', name: `pd-${uniq()}`, secret: ROUTING_KEY, enabled: false }, admin);
    expect(pd.body.channel.target).toBe('https://events.pagerduty.com');
    const mail = await channels({ action: 'create', org_id: t.id, kind: 'email', name: `mail-${uniq()}`, addresses: ['a@example.com'], enabled: false }, admin);
    expect(mail.body.channel.target).toBe('a@example.com via the project mail server');
    // An update is checked against the kind too, and keeps what it does not name.
    expect(await errors(channels({ action: 'update', channel_id: mail.body.channel.id, addresses: [] }, admin))).toEqual(['addresses:too_small']);
    const upd = await channels({ action: 'update', channel_id: mail.body.channel.id, addresses: ['b@example.com', 'c@example.com'] }, admin);
    expect(upd.body.channel.target).toBe('b@example.com, c@example.com via the project mail server');
  }, 60_000);
});
