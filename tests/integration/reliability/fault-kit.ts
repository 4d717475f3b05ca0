/**
 * Fault injection kit: a stack of one's own, a hard PostgreSQL crash and restart, a
 * steady producer (ingest → scan) that retries like a real one, and SDK subscribers
 * that record every delivered version and are compared with the database at the end.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { gridDisk } from 'h3-js';
import postgres, { type Sql } from 'postgres';
import WebSocket from 'ws';
import { createHotwatch, type Hotwatch, type StreamEvent, type StreamName, type Transport } from '../../../client-sdk/src/index.ts';
import { startStack, type Stack } from '../../../stack/src/start.ts';
import { crashPostgres } from '../../support/crash.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { rawJwt, sleep } from '../../support/hardening.ts';
import { testLogFile } from '../../support/stack-log.ts';
import { area, backdateOrg, background, burst, eventAt, insertWorld, type WireEvent } from './world.ts';
import { freeStackPorts } from '../../support/ports.ts';

export const STREAMS: StreamName[] = ['hotspots', 'alerts', 'recommendations'];

// ---- a stack of one's own -----------------------------------------------------------------

export interface OwnStack {
  stack: Stack;
  sql: Sql;
  stop(): Promise<void>;
}

export async function startOwnStack(): Promise<OwnStack> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-faults-'));
  await fs.chmod(root, 0o755); // PostgreSQL runs as the unprivileged "postgres" user
  const stack = await startStack({ dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true, logFile: testLogFile('faults') });
  const sql = postgres(stack.dbUrl, { max: 6, onnotice: () => {}, connect_timeout: 5 });
  const own: OwnStack = {
    stack, sql,
    async stop() {
      await own.sql.end({ timeout: 2 }).catch(() => {});
      await stack.stop().catch(() => {});
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  return own;
}

/**
 * The per-minute scan schedule keeps scanning every other org of the stack (so pg_cron
 * and pg_net ride through the crashes), but not the flow's org: the flow scans it every
 * 2 s, and the checks must know every scan of it — a scheduled scan landing between a
 * staged mid-write scan and its check would write what the interrupted one did not, and
 * one still running at the end would look like an abandoned run. Overlapping scheduled
 * and HTTP scans are the concurrency suite's subject. The schedule scans only orgs whose
 * settings say so (`due_scans()`), so the fault orgs' settings switch it off.
 */
export async function spareFromSchedule(sql: Sql, orgId: string): Promise<void> {
  await sql`update public.org_settings set scan = scan || '{"scheduled": false}' where org_id = ${orgId}`;
}

/**
 * kill -9 PostgreSQL — the postmaster and every one of its processes, as a machine
 * crash would — and wait until the stack's supervisor has started it again on the same
 * data directory and port (crash recovery replays the WAL). The stack's services are not
 * told: they must reconnect.
 */
export async function restartPostgres(own: OwnStack): Promise<void> {
  // The test's own postgres.js pool is closed across the crash and replaced after it, so an uncaught
  // error from a postgres.js client during the crash can only come from the stack's.
  await own.sql.end({ timeout: 1 }).catch(() => {});
  await crashPostgres(own.stack, { everything: true });
  await own.stack.postgres.running();
  own.sql = postgres(own.stack.dbUrl, { max: 6, onnotice: () => {}, connect_timeout: 5 });
}

// ---- the steady flow ------------------------------------------------------------------------

export interface FlowOptions {
  /** Background events per tick. */
  perTick?: number;
  tickMs?: number;
  /** A new cluster (burst in a fresh cell group) every this many ticks. */
  clusterEvery?: number;
  /** An HTTP scan every this many ms. */
  scanEveryMs?: number;
}

/**
 * ingest → scan at a steady pace, as a real producer runs it: each batch is retried
 * (same ids: ingest is idempotent) until the API answers 200, so every event the
 * producer ever sent is eventually accepted; scans fire on a timer and failures are
 * only counted.
 */
export class Flow {
  readonly acknowledged = new Set<string>();
  readonly sentIds = new Set<string>();
  ingestFailures = 0;
  scans = 0;
  scanFailures = 0;
  private running = false;
  private loops: Array<Promise<void>> = [];
  private tick = 0;
  private groups: string[][];
  /** A cluster site the flow never uses (for a test's own cluster). */
  readonly reservedSite: string[];

  constructor(private readonly apiUrl: string, private readonly serviceKey: string, private readonly operatorToken: string,
    readonly org: TestOrg, private readonly cells: string[], private readonly opts: FlowOptions = {}) {
    // Cluster sites: the disks around every 9th cell of the area, far enough apart to be separate hotspots.
    const sites = cells.filter((_, i) => i % 9 === 4).map((c) => gridDisk(c, 1));
    this.reservedSite = sites[Math.floor(sites.length / 2)]!;
    this.groups = sites.filter((g) => g !== this.reservedSite);
  }

  start(): void {
    this.running = true;
    this.loops.push(this.ingestLoop(), this.scanLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async ingestLoop(): Promise<void> {
    const { perTick = 10, tickMs = 500, clusterEvery = 12 } = this.opts;
    while (this.running) {
      const t0 = Date.now();
      const now = Date.now();
      const events: WireEvent[] = [];
      // Background events arrive late, spread over the past week (as the seeded history is), so only the clusters
      // below are anomalies; what matters here is the steady ingest load.
      for (let i = 0; i < perTick; i++) {
        const k = this.tick * perTick + i;
        const cell = this.cells[(k * 31) % this.cells.length]!;
        events.push(eventAt(`flow-${this.tick}-${i}`, 'fire', now - 3_600_000 - ((k * 7_919_113) % (6 * 24 * 3_600_000)), cell, 'flow'));
      }
      if (this.tick % clusterEvery === 0) {
        const site = this.groups[(this.tick / clusterEvery) % this.groups.length]!;
        events.push(...burst(site, 30, now, { tag: `cluster-${this.tick}`, withinMs: 20 * 60_000 }).map((e) => ({ ...e, source: 'flow' })));
      }
      this.tick++;
      await this.send(events);
      await sleep(Math.max(0, tickMs - (Date.now() - t0)));
    }
  }

  /** POST until 200 (same batch every time), then record every id as acknowledged. */
  async send(events: WireEvent[]): Promise<void> {
    for (const e of events) this.sentIds.add(e.external_id);
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${this.apiUrl}/functions/v1/ingest-events`, {
          method: 'POST', signal: AbortSignal.timeout(30_000),
          headers: { apikey: this.serviceKey, authorization: `Bearer ${this.serviceKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ org_id: this.org.id, events }),
        });
        const body = await res.text();
        if (res.status === 200) {
          const r = JSON.parse(body) as { accepted: number; duplicate: number; rejected: number };
          if (r.rejected > 0) throw new Error(`flow events rejected: ${body}`);
          for (const e of events) this.acknowledged.add(e.external_id);
          return;
        }
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('flow events rejected')) throw e;
      }
      this.ingestFailures++;
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
    }
  }

  private async scanLoop(): Promise<void> {
    const every = this.opts.scanEveryMs ?? 2_000;
    while (this.running) {
      await this.scanOnce();
      await sleep(every);
    }
  }

  async scanOnce(): Promise<Record<string, unknown> | undefined> {
    this.scans++;
    try {
      const res = await fetch(`${this.apiUrl}/functions/v1/hotspot-scan`, {
        method: 'POST', signal: AbortSignal.timeout(60_000),
        headers: { authorization: `Bearer ${this.operatorToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ org_id: this.org.id }),
      });
      const text = await res.text();
      if (res.status !== 200) { this.scanFailures++; return undefined; }
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.scanFailures++;
      return undefined;
    }
  }
}

// ---- SDK subscribers --------------------------------------------------------------------------

type Row = Record<string, unknown> & { id: number; version: number };

/** One Hotwatch client subscribed to all three streams, checking the guarantee as events arrive. */
export class Watcher {
  readonly latest: Record<StreamName, Map<number, Row>> = { hotspots: new Map(), alerts: new Map(), recommendations: new Map() };
  readonly violations: string[] = [];
  readonly statuses: string[] = [];
  readonly errors: string[] = [];
  readonly hw: Hotwatch;
  readonly client: SupabaseClient;

  constructor(apiUrl: string, anonKey: string, token: string, readonly transport: Transport, orgId: string) {
    this.client = createClient(apiUrl, anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { Authorization: `Bearer ${token}` } },
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    });
    void this.client.realtime.setAuth(token);
    this.hw = createHotwatch(this.client as never, { transport, retry: { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 10_000 } });
    for (const s of STREAMS) {
      this.hw.subscribe(s, (e: StreamEvent) => this.on(s, e), { orgId, onError: (err) => this.errors.push(`${s}: ${err.message}`) });
    }
  }

  private on(stream: StreamName, e: StreamEvent): void {
    if (e.type === 'status') { this.statuses.push(e.status); return; }
    if (e.type !== 'upsert') return;
    const row = e.row as unknown as Row;
    const prev = this.latest[stream].get(row.id);
    if (prev && row.version <= prev.version) this.violations.push(`${stream} ${row.id}: version ${row.version} after ${prev.version} (${e.source})`);
    if (!prev || row.version > prev.version) this.latest[stream].set(row.id, row);
  }

  /** Differences between what this subscriber holds and the database (empty = equal). */
  async diff(sql: Sql, orgId: string): Promise<string[]> {
    const out: string[] = [];
    for (const s of STREAMS) {
      const db = await sql.unsafe<{ id: string; version: number }[]>(`select id, version from public.${s} where org_id = $1`, [orgId]);
      const want = new Map(db.map((r) => [Number(r.id), r.version]));
      for (const [id, v] of want) {
        const got = this.latest[s].get(id)?.version;
        if (got !== v) out.push(`${s} ${id}: db v${v}, sdk ${got === undefined ? 'missing' : `v${got}`}`);
      }
      for (const id of this.latest[s].keys()) if (!want.has(id)) out.push(`${s} ${id}: sdk has a row the db does not`);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.hw.close().catch(() => {});
    await this.client.removeAllChannels().catch(() => {});
    this.client.realtime.disconnect();
  }
}

// ---- the scenario -----------------------------------------------------------------------------

export interface Scenario {
  org: TestOrg;
  flow: Flow;
  watchers: Watcher[];
  cells: string[];
}

/** An org with history, a flow and three subscribers (two postgres_changes, one broadcast). */
export async function scenario(own: OwnStack, label: string, opts: FlowOptions = {}): Promise<Scenario> {
  const { stack, sql } = own;
  const org = await createTestOrg(sql, label);
  await spareFromSchedule(sql, org.id);
  await backdateOrg(sql, org.id);
  const cells = area(40.75, -73.99, 6);
  await insertWorld(sql, org.id, background(cells, Date.now(), { hours: 24 * 7, rate: 0.05, tag: `bg-${randomUUID().slice(0, 6)}` }));
  const now = Math.floor(Date.now() / 1000);
  const token = (sub: string, role: string): string => rawJwt({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 7200, org_roles: { [org.id]: role } }, { secret: stack.config.keys.jwtSecret });
  const { anonKey, serviceRoleKey } = stack.config.keys;
  const watchers = [
    new Watcher(stack.apiUrl, anonKey, token(org.viewer.id, 'viewer'), 'postgres_changes', org.id),
    new Watcher(stack.apiUrl, anonKey, token(org.operator.id, 'operator'), 'postgres_changes', org.id),
    new Watcher(stack.apiUrl, anonKey, token(org.viewer.id, 'viewer'), 'broadcast', org.id),
  ];
  const flow = new Flow(stack.apiUrl, serviceRoleKey, token(org.operator.id, 'operator'), org, cells, opts);
  return { org, flow, watchers, cells };
}

/** Wait until every subscriber holds exactly the database's rows and versions; the last differences otherwise. */
export async function converged(sql: Sql, s: Scenario, timeoutMs = 90_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = [];
    for (const [i, w] of s.watchers.entries()) for (const d of await w.diff(sql, s.org.id)) last.push(`watcher ${i} (${w.transport}): ${d}`);
    if (last.length === 0) return [];
    await sleep(500);
  }
  return last;
}

/** Acknowledged events that are not in the database (must be none). */
export async function lostEvents(sql: Sql, s: Scenario): Promise<string[]> {
  const rows = await sql<{ external_id: string }[]>`select external_id from public.events where org_id = ${s.org.id} and source = 'flow'`;
  const stored = new Set(rows.map((r) => r.external_id));
  return [...s.flow.acknowledged].filter((id) => !stored.has(id));
}
