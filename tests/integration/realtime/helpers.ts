/**
 * Shared helpers for the Realtime integration tests: official supabase-js clients on the
 * `ws` transport (both protocol versions), JWTs minted with jose, scratch tables added to
 * the supabase_realtime publication, and small waiting utilities.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import type { Sql } from 'postgres';
import WebSocket from 'ws';

export type Vsn = '1.0.0' | '2.0.0';
export const VSNS: Vsn[] = ['2.0.0', '1.0.0'];

export interface ClientOptions {
  vsn?: Vsn;
  /** Access token for Realtime (default: the anon key). */
  token?: string;
  heartbeatIntervalMs?: number;
}

const clients: SupabaseClient[] = [];

export function rtClient(apiUrl: string, anonKey: string, opts: ClientOptions = {}): SupabaseClient {
  const client = createClient(apiUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: {
      transport: WebSocket as never,
      ...(opts.vsn ? { vsn: opts.vsn } : {}),
      ...(opts.heartbeatIntervalMs ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}),
    },
  });
  if (opts.token) void client.realtime.setAuth(opts.token);
  clients.push(client);
  return client;
}

/** Close every client created by rtClient (afterAll). */
export async function closeClients(): Promise<void> {
  for (const c of clients.splice(0)) {
    await c.removeAllChannels().catch(() => {});
    c.realtime.disconnect();
  }
}

export type Status = 'SUBSCRIBED' | 'CHANNEL_ERROR' | 'TIMED_OUT' | 'CLOSED';

/** Subscribe and resolve on SUBSCRIBED; reject on the first error status. */
export function subscribed(channel: RealtimeChannel, onStatus?: (s: Status, err?: Error) => void): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    let done = false;
    channel.subscribe((status, err) => {
      onStatus?.(status as Status, err);
      if (done) return;
      if (status === 'SUBSCRIBED') { done = true; resolve(channel); }
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
        done = true;
        reject(new Error(`${status}${err ? `: ${err.message}` : ''}`));
      }
    });
  });
}

/** Statuses reported to the subscribe callback, in order. */
export function statusLog(channel: RealtimeChannel): { statuses: Array<{ status: Status; err?: string }>; wait(s: Status, timeoutMs?: number): Promise<void> } {
  const statuses: Array<{ status: Status; err?: string }> = [];
  channel.subscribe((status, err) => { statuses.push({ status: status as Status, ...(err ? { err: err.message } : {}) }); });
  return {
    statuses,
    wait: (s, timeoutMs = 20_000) => waitFor(() => statuses.some((x) => x.status === s), timeoutMs, `status ${s}`),
  };
}

export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An HS256 access token like Supabase Auth issues (role authenticated unless given). */
export async function mintToken(secret: string, claims: Record<string, unknown>, expiresInSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', iat: now, exp: now + expiresInSeconds, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

/** Claims for a member of the given orgs. */
export function memberClaims(orgIds: string[], role = 'viewer'): Record<string, unknown> {
  return { sub: randomUUID(), org_roles: Object.fromEntries(orgIds.map((o) => [o, role])) };
}

export const SCRATCH_SCHEMA = 'rt_test';

/**
 * Create `rt_test.<prefix>_<random>` from a column list and add it to the publication.
 * Scratch tables live outside `public` so they never change what the app sees there.
 */
export async function scratchTable(sql: Sql, prefix: string, columns: string, opts: { rls?: boolean; replicaFull?: boolean } = {}): Promise<string> {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  await sql.unsafe(`create schema if not exists ${SCRATCH_SCHEMA}`).catch(() => {});
  await sql.unsafe(`grant usage on schema ${SCRATCH_SCHEMA} to anon, authenticated, service_role`);
  await sql.unsafe(`create table ${SCRATCH_SCHEMA}.${name} (${columns})`);
  await sql.unsafe(`grant select on ${SCRATCH_SCHEMA}.${name} to anon, authenticated, service_role`);
  if (opts.rls) await sql.unsafe(`alter table ${SCRATCH_SCHEMA}.${name} enable row level security`);
  if (opts.replicaFull) await sql.unsafe(`alter table ${SCRATCH_SCHEMA}.${name} replica identity full`);
  await sql.unsafe(`alter publication supabase_realtime add table ${SCRATCH_SCHEMA}.${name}`);
  return name;
}

/** Collect callback payloads. */
export function collector<T = Record<string, unknown>>(): { items: T[]; push: (p: T) => void; wait(n: number, timeoutMs?: number): Promise<T[]> } {
  const items: T[] = [];
  return {
    items,
    push: (p: T) => { items.push(p); },
    wait: async (n, timeoutMs = 20_000) => { await waitFor(() => items.length >= n, timeoutMs, `${n} messages (have ${items.length})`); return items; },
  };
}

/** What realtime-js hands a postgres_changes callback. */
export interface Change {
  schema: string; table: string; commit_timestamp: string; eventType: string;
  new: Record<string, unknown>; old: Record<string, unknown>; errors: unknown;
}

/** Adapt a typed handler to supabase-js's callback signature. */
export const as = <T = Change>(fn: (c: T) => void) => (p: unknown): void => fn(p as T);

/** A hotspot row for `orgId` (inserted as the admin, like the scan function does); last detected "tomorrow", so the schedule's quiet scans leave it alone. */
export async function insertHotspot(sql: Sql, orgId: string, label: string): Promise<number> {
  const [row] = await sql<{ id: string }[]>`
    insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
      radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, last_detected_at)
    values (${orgId}, 'noise', ${label}, 'high', 'kulldorff-poisson', '{88283082a3fffff}', '88283082a3fffff', 37.77, -122.41,
      350, now() - interval '1 hour', now(), 12, 3.5, 3.4, 9.1, 0.001, 1000, now() + interval '1 day')
    returning id`;
  return Number(row!.id);
}

/** A bare Phoenix client on `ws`, for checking frames exactly and sending bad ones. */
export interface RawClient {
  ws: WebSocket;
  frames: Array<{ data: unknown; binary: boolean; raw: Buffer }>;
  closed: Promise<{ code: number; reason: string }>;
  /** Send a vsn 2 array or vsn 1 object, or raw text/bytes. */
  send(frame: unknown): void;
  /** Next frame matching pred (searching frames already received first). */
  next(pred: (f: { data: unknown; binary: boolean; raw: Buffer }) => boolean, timeoutMs?: number): Promise<{ data: unknown; binary: boolean; raw: Buffer }>;
  close(): void;
}

export async function rawClient(apiUrl: string, apikey: string, vsn: Vsn | null = '2.0.0'): Promise<RawClient> {
  const url = `${apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}${vsn ? `&vsn=${vsn}` : ''}`;
  const ws = new WebSocket(url);
  const frames: RawClient['frames'] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  ws.on('message', (data: Buffer, binary: boolean) => {
    const raw = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    frames.push({ data: binary ? raw : JSON.parse(raw.toString('utf8')), binary, raw });
  });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`))); ws.once('error', reject); });
  let seen = 0;
  const client: RawClient = {
    ws, frames, closed,
    send: (frame) => ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)),
    next: async (pred, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = seen; i < frames.length; i++) {
          if (pred(frames[i]!)) { seen = i + 1; return frames[i]!; }
        }
        if (Date.now() > deadline) throw new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5).map((f) => f.binary ? `<binary ${f.raw.length}>` : f.data))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => ws.close(),
  };
  return client;
}

/** Frame predicate for vsn 2 arrays: [join_ref, ref, topic, event, payload]. */
export const isEvent = (topic: string, event: string, ref?: string) => (f: { data: unknown; binary: boolean }): boolean => {
  if (f.binary || !Array.isArray(f.data)) return false;
  const [, r, t, e] = f.data as unknown[];
  return t === topic && e === event && (ref === undefined || r === ref);
};
