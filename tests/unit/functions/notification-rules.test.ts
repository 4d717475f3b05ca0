import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs, DELIVERY, exhausted, judge, parseRetryAfter, truncate } from '../../../functions/_shared/notifications/retry.ts';
import { matchingSilence, route, ruleSchema, type Silence } from '../../../functions/_shared/notifications/rules.ts';
import { generateSecret, signatureHeader } from '../../../functions/_shared/notifications/signature.ts';
import { checkTarget, isPublicAddress, parseTargetUrl } from '../../../functions/_shared/notifications/target.ts';
import type { AlertSnapshot } from '../../../functions/_shared/notifications/types.ts';
import { webhookBody } from '../../../functions/_shared/notifications/webhook.ts';

const alert = (over: Partial<AlertSnapshot> = {}): AlertSnapshot => ({
  id: 7, org_id: 'o', hotspot_id: 3, category: 'fire', severity: 'high', state: 'firing', title: 'High fire hotspot',
  description: 'text', notify_count: 1, notified_observed: 30, notified_cells: 2, consecutive_detections: 2,
  created_at: '2026-12-06T00:00:00Z', updated_at: '2026-12-06T00:00:00Z', last_notified_at: null, acknowledged_at: null, resolved_at: null,
  ...over,
});

describe('target check (private, loopback, link-local refused unless allowed)', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fc00::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1', '255.255.255.255', '::',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
    expect(checkTarget(ip, [ip], false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTarget(ip, [ip], true)).toEqual({ ok: true });
  });
  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111'])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
    expect(checkTarget(ip, [ip], false)).toEqual({ ok: true });
  });
  it('a name is refused when any of its addresses is private; localhost never needs DNS', () => {
    expect(checkTarget('hooks.example.com', ['93.184.215.14', '10.0.0.5'], false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTarget('localhost', [], false)).toMatchObject({ ok: false, code: 'private_target' });
    expect(checkTarget('api.localhost', [], true)).toEqual({ ok: true });
    expect(checkTarget('nowhere.example', [], true)).toMatchObject({ ok: false, code: 'unresolvable' });
  });
  it('parses only absolute http(s) URLs; IPv6 brackets are stripped', () => {
    expect(parseTargetUrl('ftp://x.example/')).toMatchObject({ ok: false, code: 'unsupported_scheme' });
    expect(parseTargetUrl('/relative')).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(parseTargetUrl(`https://x.example/${'a'.repeat(2000)}`)).toMatchObject({ ok: false, code: 'invalid_url' });
    expect(parseTargetUrl('http://[::1]:8080/hook')).toMatchObject({ ok: true, host: '::1' });
  });
});

describe('routing rules', () => {
  it('an empty rule routes everything', () => {
    expect(route({}, alert(), 'fired')).toEqual({ send: true });
  });
  it('min_severity, categories and events narrow', () => {
    expect(route({ min_severity: 'critical' }, alert(), 'fired')).toMatchObject({ send: false });
    expect(route({ min_severity: 'high' }, alert(), 'fired')).toEqual({ send: true });
    expect(route({ categories: ['flood'] }, alert(), 'fired')).toMatchObject({ send: false });
    expect(route({ events: ['fired', 'escalated'] }, alert(), 'grew')).toMatchObject({ send: false });
    expect(route({ events: ['fired', 'escalated'] }, alert(), 'escalated')).toEqual({ send: true });
  });
  it('districts narrow only alerts that carry a district (org settings not built yet)', () => {
    expect(route({ districts: ['Kralingen'] }, alert(), 'fired')).toEqual({ send: true });
    expect(route({ districts: ['Kralingen'] }, alert({ district: 'Delfshaven' }), 'fired')).toMatchObject({ send: false });
    expect(route({ districts: ['Kralingen'] }, alert({ district: 'Kralingen' }), 'fired')).toEqual({ send: true });
  });
  it('the schema refuses unknown fields and values with paths', () => {
    const r = ruleSchema.safeParse({ min_severity: 'huge', events: ['exploded'], colour: 1 });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['', 'events.0', 'min_severity']);
  });
});

describe('silences', () => {
  const at = new Date('2026-12-06T10:00:00Z');
  const s = (over: Partial<Silence>): Silence => ({
    id: 's', category: null, district: null, min_severity: null,
    starts_at: new Date('2026-12-06T09:00:00Z'), ends_at: new Date('2026-12-06T11:00:00Z'), ...over,
  });
  it('matches inside its window on every given matcher', () => {
    expect(matchingSilence([s({ category: 'fire' })], alert(), at)?.id).toBe('s');
    expect(matchingSilence([s({ category: 'flood' })], alert(), at)).toBeUndefined();
    expect(matchingSilence([s({ min_severity: 'critical' })], alert(), at)).toBeUndefined();
    expect(matchingSilence([s({ min_severity: 'medium' })], alert(), at)?.id).toBe('s');
    expect(matchingSilence([s({ ends_at: at })], alert(), at)).toBeUndefined();
    expect(matchingSilence([s({ starts_at: new Date('2026-12-06T10:30:00Z') })], alert(), at)).toBeUndefined();
    expect(matchingSilence([s({ district: 'Kralingen' })], alert(), at)).toBeUndefined();
  });
});

describe('retries', () => {
  it('2xx delivers; 5xx, 429, 408, timeouts and network errors retry; other 4xx and 3xx fail', () => {
    const ans = (status: number, retryAfter: string | null = null) => ({ kind: 'answer' as const, status, retryAfter, body: '' });
    expect(judge(ans(204), 1, 0, 0.5).outcome).toBe('delivered');
    for (const st of [500, 502, 503, 429, 408]) expect(judge(ans(st), 1, 0, 0.5).outcome).toBe('retry');
    for (const st of [400, 401, 404, 410, 301]) expect(judge(ans(st), 1, 0, 0.5).outcome).toBe('failed');
    expect(judge({ kind: 'timeout' }, 1, 0, 0.5).outcome).toBe('retry');
    expect(judge({ kind: 'network', message: 'ECONNRESET' }, 1, 0, 0.5).outcome).toBe('retry');
    expect(judge({ kind: 'refused', message: 'private' }, 1, 0, 0.5).outcome).toBe('failed');
  });
  it('honours Retry-After (seconds or HTTP date) over the backoff', () => {
    expect(judge({ kind: 'answer', status: 429, retryAfter: '3', body: '' }, 5, 0, 0.9)).toMatchObject({ delayMs: 3000 });
    expect(parseRetryAfter('Sun, 06 Dec 2026 10:00:05 GMT', Date.parse('2026-12-06T10:00:00Z'))).toBe(5000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(judge({ kind: 'answer', status: 503, retryAfter: '999999', body: '' }, 1, 0, 0)).toMatchObject({ delayMs: DELIVERY.maxRetryAfterMs });
  });
  it('backs off exponentially with jitter inside [step/2, step], capped', () => {
    expect(backoffMs(1, 0)).toBe(500);
    expect(backoffMs(1, 1)).toBe(1000);
    expect(backoffMs(4, 0)).toBe(4000);
    expect(backoffMs(40, 1)).toBe(DELIVERY.maxDelayMs);
  });
  it('a row is dead after the attempt budget or the age limit', () => {
    expect(exhausted(DELIVERY.maxAttempts, 0, 1)).toBe(true);
    expect(exhausted(1, 0, DELIVERY.maxAgeMs + 1)).toBe(true);
    expect(exhausted(1, 0, 1000)).toBe(false);
    expect(truncate('x'.repeat(5000))).toHaveLength(DELIVERY.maxStoredText);
  });
});

describe('signature and body', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 as Stripe does (checked with node:crypto)', async () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const body = JSON.stringify(webhookBody({
      event: 'fired', idempotencyKey: 'alert-7-v2-fired', occurredAt: '2026-12-06T00:00:00Z',
      org: { id: 'o', slug: 'north', name: 'North' }, alert: alert(), alertUrl: 'http://x/dashboard/#alert-7', place: null,
    }));
    const header = await signatureHeader(secret, body, 1_765_000_000);
    const expected = createHmac('sha256', secret).update(`1765000000.${body}`).digest('hex');
    expect(header).toBe(`t=1765000000,v1=${expected}`);
    expect(JSON.parse(body)).toMatchObject({
      type: 'alert.fired', event: 'fired', org: { slug: 'north' },
      alert: { id: 7, title: 'High fire hotspot', text: 'text', severity: 'high', category: 'fire', state: 'firing',
        counts: { observed: 30, cells: 2 }, url: 'http://x/dashboard/#alert-7' },
    });
  });
});
