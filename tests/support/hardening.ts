/**
 * Helpers for the reliability, security and fuzz suites (issue 9): hand-built JWTs
 * (including the malformed ones a library refuses to sign), supabase-js clients on the
 * `ws` transport, a two-tenant "world" with secret markers in every tenant table, the
 * footprint of an org (row counts per table) and a liveness probe.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { createTestOrg, type TestOrg } from './fixtures.ts';

export const stackInfo = (): ReturnType<typeof inject<'stack'>> => inject('stack');

// ---- JWTs ---------------------------------------------------------------------------------

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

export interface RawJwtOptions {
  /** Header alg (default HS256). `none` produces an unsigned token. */
  alg?: string;
  /** Signing secret (default the stack's). */
  secret?: string;
  /** Extra header fields. */
  header?: Record<string, unknown>;
  /** Replace the signature segment verbatim. */
  signature?: string;
}

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/**
 * A compact JWS built by hand, so tests can produce what jose refuses to sign: `alg:
 * none`, an HS header with another algorithm's MAC, a forged signature, a non-object
 * payload. The payload is taken verbatim (no exp/iat added).
 */
export function rawJwt(payload: unknown, opts: RawJwtOptions = {}): string {
  const alg = opts.alg ?? 'HS256';
  const head = b64url(JSON.stringify({ alg, typ: 'JWT', ...opts.header }));
  const body = b64url(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const input = `${head}.${body}`;
  if (opts.signature !== undefined) return `${input}.${opts.signature}`;
  if (alg === 'none') return `${input}.`;
  const hash = HMAC[alg] ?? 'sha256';
  const sig = createHmac(hash, opts.secret ?? stackInfo().jwtSecret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A user's access token as the auth hook issues it (role authenticated, org_roles). */
export function userJwt(userId: string, orgRoles: Record<string, string>, extra: Record<string, unknown> = {}): string {
  const now = nowSeconds();
  return rawJwt({ sub: userId, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 3600, org_roles: orgRoles, ...extra });
}

export function serviceJwt(): string {
  const now = nowSeconds();
  return rawJwt({ role: 'service_role', iss: 'supabase-demo', iat: now, exp: now + 3600 });
}

/** Role tokens of one org's members (fixtures create an operator and a viewer; admin is minted). */
export function orgTokens(org: TestOrg): { operator: string; viewer: string; admin: string } {
  return {
    operator: userJwt(org.operator.id, { [org.id]: 'operator' }),
    viewer: userJwt(org.viewer.id, { [org.id]: 'viewer' }),
    admin: userJwt(org.operator.id, { [org.id]: 'admin' }),
  };
}

// ---- clients ------------------------------------------------------------------------------

const clients: SupabaseClient[] = [];

/** supabase-js as a user would build it (anon key; a user token as the Authorization header). */
export function sb(token?: string, opts: { key?: string; apiUrl?: string; vsn?: '1.0.0' | '2.0.0' } = {}): SupabaseClient {
  const info = stackInfo();
  const client = createClient(opts.apiUrl ?? info.apiUrl, opts.key ?? info.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket, ...(opts.vsn ? { vsn: opts.vsn } : {}) },
    ...(token ? { global: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });
  if (token) void client.realtime.setAuth(token);
  clients.push(client);
  return client;
}

export async function closeClients(): Promise<void> {
  for (const c of clients.splice(0)) {
    await c.removeAllChannels().catch(() => {});
    c.realtime.disconnect();
  }
}

// ---- waiting ------------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ---- liveness -----------------------------------------------------------------------------

/**
 * The stack still answers: the gateway's health check, a valid REST read with the
 * service key, and (when a token is given) a valid user read. Throws with the reason.
 */
export async function assertAlive(apiUrl = stackInfo().apiUrl, serviceKey = stackInfo().serviceRoleKey): Promise<void> {
  const health = await fetch(`${apiUrl}/health`);
  if (health.status !== 200) throw new Error(`health check answered ${health.status}`);
  const rest = await fetch(`${apiUrl}/rest/v1/orgs?select=id&limit=1`, { headers: { apikey: serviceKey, authorization: `Bearer ${serviceKey}` } });
  if (rest.status !== 200) throw new Error(`valid REST read answered ${rest.status}: ${await rest.text()}`);
  await rest.text();
}

/** A Realtime round trip: open a socket, heartbeat, get the reply. */
export async function realtimeHeartbeat(apiUrl = stackInfo().apiUrl, key = stackInfo().anonKey, vsn: '1.0.0' | '2.0.0' = '2.0.0'): Promise<void> {
  const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=${vsn}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('realtime heartbeat timed out')), 10_000);
      ws.once('error', (e) => { clearTimeout(t); reject(e); });
      ws.once('open', () => {
        ws.send(vsn === '2.0.0' ? JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}])
          : JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 'hb' }));
      });
      ws.on('message', (d) => {
        const text = String(d);
        if (text.includes('"hb"') && text.includes('phx_reply')) { clearTimeout(t); resolve(); }
      });
    });
  } finally {
    ws.terminate();
  }
}

// ---- tenants with secrets ---------------------------------------------------------------------

/** A tenant whose every table holds rows carrying `secret`, a string nobody else ever sends. */
export interface SecretOrg extends TestOrg {
  secret: string;
  hotspotId: number;
  alertId: number;
  recommendationId: number;
  playbookId: string;
}

export const STREAM_TABLES = ['hotspots', 'alerts', 'recommendations'] as const;
export const TENANT_TABLES = ['events', 'count_cube', 'hotspots', 'alerts', 'recommendations', 'decisions', 'scan_runs', 'memberships', 'playbooks'] as const;

/**
 * An org with an event, cube row, scan run, hotspot → alert → recommendation, decision
 * and private playbook, each marked. The schedule scans every org with news each minute, so by
 * default the stream rows are terminal (resolved / superseded), which a scan never
 * touches; `active` leaves them new / firing / pending for tests that act on them.
 */
export async function createSecretOrg(sql: Sql, label: string, opts: { active?: boolean } = {}): Promise<SecretOrg> {
  const active = opts.active ?? false;
  const org = await createTestOrg(sql, label);
  const secret = `SECRET${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const ids = await sql.begin(async (tx) => {
    await tx`insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell, attributes)
             values (${org.id}, ${secret}, ${secret}, 'fire', now() - interval '1 hour', 40.75, -73.99, '892a100d2c3ffff',
                     ${JSON.stringify({ note: secret })}::text::jsonb)`;
    const [run] = await tx<{ id: string }[]>`insert into public.scan_runs (org_id, trigger, status, error)
             values (${org.id}, 'http', 'succeeded', ${secret}) returning id`;
    const [h] = await tx<{ id: string }[]>`
      insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, scan_id, status, resolved_at,
        last_detected_at)
      values (${org.id}, 'fire', ${secret}, 'high', 'expectation_poisson', ${['882a100d2dfffff']}, '882a100d2dfffff', 40.75, -73.99,
        600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 41.6, ${run!.id},
        ${active ? 'new' : 'resolved'}, ${active ? null : new Date()},
        -- Active rows are 'detected' in the future, so the scheduled scans never count quiet hours on them and leave them be.
        now() + interval '1 day') returning id`;
    const [a] = await tx<{ id: string }[]>`
      insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, title, description, state, resolved_at)
      values (${org.id}, ${h!.id}, ${secret}, 'fire', 'high', ${secret}, ${secret}, ${active ? 'firing' : 'resolved'}, ${active ? null : new Date()}) returning id`;
    const [pb] = await tx<{ id: string }[]>`
      insert into public.playbooks (org_id, slug, title, category, body)
      values (${org.id}, ${'pb-' + secret.toLowerCase()}, ${secret}, 'fire', ${secret}) returning id`;
    const [r] = await tx<{ id: string }[]>`
      insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale, status)
      values (${org.id}, ${a!.id}, ${h!.id}, ${pb!.id}, 1, 1, 0.9, ${secret}, ${secret}, ${active ? 'pending' : 'superseded'}) returning id`;
    await tx`insert into public.decisions (org_id, alert_id, action, from_status, to_status, reason, actor)
             values (${org.id}, ${a!.id}, 'acknowledge', 'firing', 'acknowledged', ${secret}, ${org.operator.id})`;
    return { hotspotId: Number(h!.id), alertId: Number(a!.id), recommendationId: Number(r!.id), playbookId: pb!.id };
  });
  return { ...org, secret, ...ids };
}

/** Row counts (and versions of stream rows) of one org: equal before and after ⇒ nothing was written. */
export async function footprint(sql: Sql, orgId: string): Promise<Record<string, string>> {
  const [r] = await sql<Record<string, string>[]>`
    select (select count(*) from public.events where org_id = ${orgId})::text as events,
           (select coalesce(sum(n), 0) || '/' || count(*) from public.count_cube where org_id = ${orgId}) as count_cube,
           (select count(*) || '/' || coalesce(sum(version), 0) from public.hotspots where org_id = ${orgId}) as hotspots,
           (select count(*) || '/' || coalesce(sum(version), 0) from public.alerts where org_id = ${orgId}) as alerts,
           (select count(*) || '/' || coalesce(sum(version), 0) from public.recommendations where org_id = ${orgId}) as recommendations,
           (select count(*) from public.decisions where org_id = ${orgId})::text as decisions,
           -- Scheduled (cron) scans run every minute for every org; any other scan is news.
           (select count(*) from public.scan_runs where org_id = ${orgId} and trigger <> 'cron')::text as scan_runs,
           (select count(*) || '/' || coalesce(string_agg(role::text, ',' order by user_id), '') from public.memberships where org_id = ${orgId}) as memberships,
           (select count(*) from public.playbooks where org_id = ${orgId})::text as playbooks,
           (select name || '/' || slug from public.orgs where id = ${orgId}) as org`;
  return r!;
}

/** Stream rows that exist anywhere (global ids), for "no API path deletes a stream row". */
export async function streamRowCount(sql: Sql): Promise<Record<string, number>> {
  const [r] = await sql<Record<string, number>[]>`
    select (select count(*)::int from public.hotspots) as hotspots, (select count(*)::int from public.alerts) as alerts,
           (select count(*)::int from public.recommendations) as recommendations, (select count(*)::int from public.decisions) as decisions`;
  return r!;
}
