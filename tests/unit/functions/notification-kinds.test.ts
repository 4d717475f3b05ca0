/**
 * The channel kinds' bodies against the destinations' documented schemas: each schema
 * below transcribes the destination's reference (limits and required fields), is first
 * shown to accept the documented example (tests/fixtures/notifications/, sources in its
 * README), then Hotwatch's body must pass it too. Plus PagerDuty's action/severity
 * mapping and dedup_key, the email parts, the kinds' config validation and answers.
 */
import { describe, expect, it } from 'vitest';
import { composeEmail } from '../../../functions/_shared/notifications/email.ts';
import { CHANNEL_KINDS, channelKind, KIND_NAMES, type HttpKind } from '../../../functions/_shared/notifications/kinds.ts';
import { dedupKey, PAGERDUTY_EVENTS_URL, pagerdutyBody, pagerdutyKind } from '../../../functions/_shared/notifications/pagerduty.ts';
import { judge } from '../../../functions/_shared/notifications/retry.ts';
import { route } from '../../../functions/_shared/notifications/rules.ts';
import { slackBody, slackKind } from '../../../functions/_shared/notifications/slack.ts';
import { teamsBody, teamsKind } from '../../../functions/_shared/notifications/teams.ts';
import type { AlertSnapshot, Notification } from '../../../functions/_shared/notifications/types.ts';
import { fixture, parse, pdFollowUp, pdTrigger, slackMessage, teamsMessage } from '../../support/notification-schemas.ts';


const alert = (over: Partial<AlertSnapshot> = {}): AlertSnapshot => ({
  id: 17, org_id: '11111111-1111-4111-8111-111111111111', hotspot_id: 9, category: 'fire', severity: 'critical', state: 'firing',
  title: 'Critical fire hotspot in Kralingen: 56 events in 16 cells', description: 'Critical-severity fire cluster <in> Kralingen & around.',
  notify_count: 2, notified_observed: 56, notified_cells: 16, consecutive_detections: 3,
  created_at: '2026-12-06T03:00:00Z', updated_at: '2026-12-06T03:00:04Z', last_notified_at: '2026-12-06T03:00:04Z', acknowledged_at: null, resolved_at: null,
  ...over,
});
const note = (over: Partial<Notification> = {}, a: Partial<AlertSnapshot> = {}): Notification => ({
  event: 'fired', idempotencyKey: 'alert-17-v3-fired', occurredAt: '2026-12-06T03:00:04.120Z',
  org: { id: '11111111-1111-4111-8111-111111111111', slug: 'northside', name: 'Northside' },
  alert: alert(a), alertUrl: 'https://hw.example/dashboard/#alert-17', place: { lat: 51.92, lng: 4.51, radius_m: 600 },
  ...over,
});
const ROUTING_KEY = 'e93facc04764012d7bfb002500d5d1a6'; // PagerDuty's example key


describe('Slack: Block Kit message', () => {
  it('the transcribed schema accepts Slack\'s own examples', () => {
    expect(parse(slackMessage, fixture('slack-incoming-webhook.json'))).toBe('ok');
    expect(parse(slackMessage, fixture('slack-blocks.json'))).toBe('ok');
  });
  it.each(['fired', 'escalated', 'grew', 'acknowledged', 'resolved', 'test'] as const)('the %s body passes it: title, severity, counts, place, link; text fallback', (event) => {
    const body = slackBody(note({ event }));
    expect(parse(slackMessage, body)).toBe('ok');
    const raw = JSON.stringify(body);
    for (const s of ['critical', '56 events in 16 cells', '51.92000, 4.51000', 'https://hw.example/dashboard/#alert-17', 'openstreetmap.org']) expect(raw).toContain(s);
    expect(body.text).toContain('Critical fire hotspot');
    expect(raw).toContain('&lt;in&gt; Kralingen &amp; around'); // mrkdwn escaped
  });
  it('long titles and texts are clipped to Slack\'s limits', () => {
    expect(parse(slackMessage, slackBody(note({}, { title: 'x'.repeat(500), description: 'y'.repeat(5000) })))).toBe('ok');
  });
  it('sends JSON unsigned; a 4xx word (invalid_payload) is permanent and logged, 429/5xx retried', () => {
    const f = slackKind as HttpKind;
    expect(f.signed).toBe(false);
    expect(f.format(note(), '').headers['Content-Type']).toBe('application/json');
    const answer = (status: number, body: string) => ({ kind: 'answer' as const, status, retryAfter: null, body, detail: f.explain!(body) });
    expect(judge(answer(200, 'ok'), 1, 0, 0)).toEqual({ outcome: 'delivered' });
    expect(judge(answer(400, 'invalid_payload'), 1, 0, 0)).toEqual({ outcome: 'failed', error: 'HTTP 400: invalid_payload' });
    expect(judge(answer(404, 'no_service'), 1, 0, 0)).toEqual({ outcome: 'failed', error: 'HTTP 404: no_service' });
    expect(judge(answer(429, 'rate_limited'), 1, 0, 0).outcome).toBe('retry');
    expect(judge(answer(503, ''), 1, 0, 0).outcome).toBe('retry');
  });
});

describe('Teams: Adaptive Card through a Workflows webhook', () => {
  it('the transcribed schema accepts Microsoft\'s example', () => {
    expect(parse(teamsMessage, fixture('teams-workflows-adaptive-card.json'))).toBe('ok');
  });
  it('the body passes it: a 1.4 card with title, facts and a link to the alert', () => {
    const body = teamsBody(note());
    expect(parse(teamsMessage, body)).toBe('ok');
    const card = (body.attachments as Array<{ content: { body: Array<Record<string, unknown>>; actions: Array<{ url: string }> } }>)[0]!.content;
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: expect.stringContaining('Alert fired: Critical fire hotspot'), color: 'Attention' });
    expect(card.body[2]).toMatchObject({ type: 'FactSet', facts: expect.arrayContaining([{ title: 'Severity', value: 'critical' }, { title: 'Place', value: '51.92000, 4.51000 (radius 600 m)' }]) });
    expect(card.actions[0]!.url).toBe('https://hw.example/dashboard/#alert-17');
    expect(teamsKind.signed).toBe(false);
  });
});

describe('PagerDuty: Events API v2', () => {
  it('the transcribed schema accepts PagerDuty\'s examples', () => {
    expect(parse(pdTrigger, fixture('pagerduty-trigger.json'))).toBe('ok');
    expect(parse(pdFollowUp, fixture('pagerduty-acknowledge.json'))).toBe('ok');
    expect(parse(pdFollowUp, fixture('pagerduty-resolve.json'))).toBe('ok');
  });
  it('fired, escalated and grew trigger; acknowledged and resolved follow with the same dedup_key', () => {
    const keys = new Set<string>();
    for (const event of ['fired', 'escalated', 'grew'] as const) {
      const b = pagerdutyBody(note({ event }), ROUTING_KEY);
      expect(parse(pdTrigger, b)).toBe('ok');
      expect(b).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', client_url: 'https://hw.example/dashboard/#alert-17' });
      keys.add(b.dedup_key as string);
    }
    for (const [event, action] of [['acknowledged', 'acknowledge'], ['resolved', 'resolve']] as const) {
      const b = pagerdutyBody(note({ event }), ROUTING_KEY);
      expect(parse(pdFollowUp, b)).toBe('ok');
      expect(b.event_action).toBe(action);
      keys.add(b.dedup_key as string);
    }
    expect([...keys]).toEqual(['hotwatch-11111111-1111-4111-8111-111111111111-alert-17']);
  });
  it('maps severities onto critical/error/warning/info; dedup_key ≤ 255', () => {
    const sev = (s: AlertSnapshot['severity']) => (pagerdutyBody(note({}, { severity: s }), ROUTING_KEY).payload as { severity: string }).severity;
    expect([sev('critical'), sev('high'), sev('medium'), sev('low')]).toEqual(['critical', 'error', 'warning', 'info']);
    expect(dedupKey(note({ org: { id: 'o'.repeat(400), slug: 's', name: 'n' } })).length).toBeLessThanOrEqual(255);
  });
  it('defaults to the public endpoint, routing key required (32 characters), 400 permanent with PagerDuty\'s reasons', () => {
    expect(pagerdutyKind.defaultUrl).toBe(PAGERDUTY_EVENTS_URL);
    expect(pagerdutyKind.config.safeParse({ secret: ROUTING_KEY }).success).toBe(true);
    expect(pagerdutyKind.config.safeParse({}).success).toBe(false);
    expect(pagerdutyKind.config.safeParse({ secret: 'short' }).success).toBe(false);
    const body = JSON.stringify(fixture('pagerduty-answer-400.json'));
    const v = judge({ kind: 'answer', status: 400, retryAfter: null, body, detail: pagerdutyKind.explain!(body) }, 1, 0, 0);
    expect(v).toEqual({ outcome: 'failed', error: expect.stringContaining("HTTP 400: invalid event: Event object is invalid: Length of 'routing_key'") });
    expect(judge({ kind: 'answer', status: 202, retryAfter: null, body: JSON.stringify(fixture('pagerduty-answer-202.json')) }, 1, 0, 0)).toEqual({ outcome: 'delivered' });
    expect(judge({ kind: 'answer', status: 429, retryAfter: null, body: '' }, 1, 0, 0).outcome).toBe('retry');
    expect(judge({ kind: 'answer', status: 502, retryAfter: null, body: '' }, 1, 0, 0).outcome).toBe('retry');
  });
  it('acknowledge and resolve pass a rule that names only firing events (the incident must close)', () => {
    const rule = { events: ['fired', 'escalated'] };
    expect(route(rule, alert(), 'resolved', pagerdutyKind.mirrored)).toEqual({ send: true });
    expect(route(rule, alert(), 'acknowledged', pagerdutyKind.mirrored)).toEqual({ send: true });
    expect(route(rule, alert(), 'grew', pagerdutyKind.mirrored)).toMatchObject({ send: false });
    expect(route(rule, alert(), 'resolved')).toMatchObject({ send: false });
  });
});

describe('email', () => {
  it('plain text and HTML with the same facts; HTML escaped', () => {
    const m = composeEmail(note());
    expect(m.subject).toBe('[Hotwatch] Alert fired: Critical fire hotspot in Kralingen: 56 events in 16 cells (critical)');
    for (const part of [m.text, m.html]) {
      for (const s of ['Severity', 'critical', '56 events in 16 cells', '51.92000, 4.51000', 'https://hw.example/dashboard/#alert-17']) expect(part).toContain(s);
    }
    expect(m.text).toContain('Critical-severity fire cluster <in> Kralingen & around.');
    expect(m.html).toContain('&lt;in&gt; Kralingen &amp; around');
    expect(m.html).not.toContain('<in>');
  });
  it('addresses required and checked; url may be smtp, smtps or https', () => {
    const k = channelKind('email')!;
    expect(k.config.safeParse({ addresses: ['ops@example.com'] }).success).toBe(true);
    expect(k.config.safeParse({ addresses: [] }).success).toBe(false);
    const bad = k.config.safeParse({ addresses: ['ops@example.com', 'not an address'] });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join('.'))).toEqual(['addresses.1']);
    expect(k.schemes).toEqual(expect.arrayContaining(['smtp:', 'smtps:', 'https:']));
  });
});

describe('the transcribed schemas bite', () => {
  it('refuse what the destinations refuse', () => {
    expect(parse(slackMessage, { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] })).not.toBe('ok');
    expect(parse(slackMessage, { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] })).not.toBe('ok');
    expect(parse(slackMessage, { text: 'only text', blocks: [] })).not.toBe('ok');
    const card = fixture('teams-workflows-adaptive-card.json') as { attachments: Array<{ content: { version: string } }> };
    card.attachments[0]!.content.version = '1.2';
    expect(parse(teamsMessage, card)).not.toBe('ok');
    expect(parse(pdTrigger, { ...(fixture('pagerduty-trigger.json') as object), event_action: 'trigger', routing_key: 'short' })).not.toBe('ok');
    expect(parse(pdFollowUp, { routing_key: ROUTING_KEY, event_action: 'resolve' })).not.toBe('ok');
  });
});

describe('the registry', () => {
  it('has every kind, each with its own config schema', () => {
    expect(KIND_NAMES.sort()).toEqual(['email', 'pagerduty', 'slack', 'teams', 'webhook']);
    for (const k of Object.values(CHANNEL_KINDS)) expect(k.config.safeParse({ bogus: 1 }).success).toBe(false);
    expect(slackKind.config.safeParse({ url: 'https://hooks.slack.com/services/T/B/X', secret: 'x'.repeat(30) }).success).toBe(false);
  });
});
