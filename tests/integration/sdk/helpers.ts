/**
 * Helpers for the SDK integration tests: official supabase-js clients on `ws` with a
 * minted member token, a recorder that checks the guarantee as events arrive, stream
 * writes done directly in SQL as the service would, and a comparison with the database.
 */
import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import type { Sql } from 'postgres';
import WebSocket from 'ws';
import type { Database, StreamEvent, StreamName } from '../../../client-sdk/src/index.ts';
import { insertStreamRows } from '../data-model/stream-rows.ts';
import { memberClient as bareMemberClient } from '../../support/member-client.ts';

export const STREAMS: StreamName[] = ['hotspots', 'alerts', 'recommendations'];

export async function mintToken(secret: string, claims: { sub: string; org_roles: Record<string, string> }, expiresInSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', iat: now, exp: now + expiresInSeconds, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

export function viewerClaims(orgId: string, sub: string = randomUUID(), role = 'viewer'): { sub: string; org_roles: Record<string, string> } {
  return { sub, org_roles: { [orgId]: role } };
}

const clients: SupabaseClient<Database>[] = [];

/** A subscriber's client: Realtime and REST both carry `token` (closed after the file). */
export function memberClient(apiUrl: string, anonKey: string, token: string): SupabaseClient<Database> {
  const client = bareMemberClient(apiUrl, anonKey, token);
  clients.push(client);
  return client;
}

export async function closeClients(): Promise<void> {
  for (const c of clients.splice(0)) {
    await c.removeAllChannels().catch(() => {});
    await c.realtime.disconnect();
  }
}

/** Cut the client's socket without a close handshake; false when there was no open socket to cut (mid-reconnect). */
export function dropSocket(client: SupabaseClient<Database>): boolean {
  const rt = client.realtime as unknown as { socketAdapter: { getSocket(): { conn: WebSocket | null } } };
  const conn = rt.socketAdapter.getSocket().conn;
  if (!conn || conn.readyState !== WebSocket.OPEN) return false;
  conn.terminate();
  return true;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}

type AnyRow = Record<string, unknown> & { id: number; version: number };

/**
 * Records what a subscription delivers and checks the guarantee as it goes: per row,
 * versions strictly increasing, never twice.
 */
export class Recorder {
  readonly latest = new Map<string, AnyRow>();
  readonly violations: string[] = [];
  readonly statuses: string[] = [];
  readonly errors: Error[] = [];
  readonly removed: string[] = [];
  upserts = 0;

  handler = <S extends StreamName>(e: StreamEvent<S>): void => {
    if (e.type === 'status') {
      this.statuses.push(e.status);
      return;
    }
    if (e.type === 'removed') {
      this.removed.push(`${e.stream}:${e.id}@${e.row.version}`);
      this.latest.delete(`${e.stream}:${e.id}`);
      return;
    }
    this.upserts++;
    const row = e.row as unknown as AnyRow;
    const key = `${e.stream}:${row.id}`;
    const held = this.latest.get(key);
    if (held && row.version <= held.version) this.violations.push(`${key}: v${row.version} after v${held.version} (${e.source})`);
    this.latest.set(key, row);
  };

  onError = (e: Error): void => {
    this.errors.push(e);
  };

  version(stream: StreamName, id: number): number | undefined {
    return this.latest.get(`${stream}:${id}`)?.version;
  }
}

/** Every visible row of the org: id → version and the field the load bumps. */
export async function dbState(sql: Sql, orgId: string): Promise<Map<string, { version: number; n: number }>> {
  const rows = await sql<{ k: string; version: number; n: number }[]>`
    select 'hotspots:' || id as k, version, observed::float8 as n from public.hotspots where org_id = ${orgId}
    union all select 'alerts:' || id, version, notify_count::float8 from public.alerts where org_id = ${orgId}
    union all select 'recommendations:' || id, version, score from public.recommendations where org_id = ${orgId}`;
  return new Map(rows.map((r) => [r.k, { version: r.version, n: r.n }]));
}

/** Differences between what the recorder holds and the database (empty = equal). */
export function diff(db: Map<string, { version: number; n: number }>, rec: Recorder, streams: StreamName[] = STREAMS): string[] {
  const out: string[] = [];
  const field = { hotspots: 'observed', alerts: 'notify_count', recommendations: 'score' } as const;
  for (const [k, v] of db) {
    const stream = k.split(':')[0] as StreamName;
    if (!streams.includes(stream)) continue;
    const got = rec.latest.get(k);
    if (!got) out.push(`${k}: missing (db v${v.version})`);
    else if (got.version !== v.version) out.push(`${k}: v${got.version} ≠ db v${v.version}`);
    else if (Number(got[field[stream]]) !== v.n) out.push(`${k}: ${field[stream]} ${String(got[field[stream]])} ≠ db ${v.n}`);
  }
  for (const k of rec.latest.keys()) if (!db.has(k) && streams.includes(k.split(':')[0] as StreamName)) out.push(`${k}: not in db`);
  return out;
}

/** One hotspot → alert → recommendation chain (as the scan would write it); returns the three ids. */
export async function insertChain(sql: Sql, orgId: string, key: string, playbookId: string): Promise<Chain> {
  const r = await insertStreamRows(sql, orgId, key, playbookId);
  return { hotspot: Number(r.hotspotId), alert: Number(r.alertId), recommendation: Number(r.recommendationId) };
}

export async function orgPlaybook(sql: Sql, orgId: string): Promise<string> {
  const [pb] = await sql<{ id: string }[]>`
    insert into public.playbooks (org_id, slug, title, category, body)
    values (${orgId}, ${'pb-' + randomUUID().slice(0, 8)}, 'Test playbook', 'fire', 'body') returning id`;
  return pb!.id;
}

export interface Chain { hotspot: number; alert: number; recommendation: number }

/** Bump the given rows of each stream in one transaction (a new version each). */
export async function bump(sql: Sql, ids: { hotspots?: number[]; alerts?: number[]; recommendations?: number[] }): Promise<void> {
  await sql.begin(async (tx) => {
    if (ids.hotspots?.length) await tx`update public.hotspots set observed = observed + 1 where id = any(${ids.hotspots})`;
    if (ids.alerts?.length) await tx`update public.alerts set notify_count = notify_count + 1 where id = any(${ids.alerts})`;
    if (ids.recommendations?.length) await tx`update public.recommendations set score = score + 1 where id = any(${ids.recommendations})`;
  });
}
