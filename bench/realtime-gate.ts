/**
 * Focused measurement for the row-independent RLS gate (docs/realtime.md "Row-independent
 * policies"): a burst of hotspot inserts to N realtime-js subscribers of one org (each its
 * own claims, so its own RLS group), timed from the first commit to the last delivery.
 * (ms) and from the last commit to the last delivery (afterLastCommitMs; waitFor polls every
 * 20 ms), plus the server's RLS stage (batch start → RLS answers) and commit → frames
 * sent percentiles. Not part of `npm run bench`:
 *   node --import tsx bench/realtime-gate.ts        (HOTWATCH_GATE_ROUNDS, …_SUBSCRIBERS, …_ROWS, …_TXS)
 * Each round runs with the org tables' cut-off policy in place, then (as a floor) on a
 * copy of the facts without it: dropped before, re-created after.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { RealtimeService } from '../stack/src/realtime/service.ts';
import { createTestOrg } from '../tests/support/fixtures.ts';
import { insertHotspot, memberClaims, mintToken, subscribed, waitFor } from '../tests/integration/realtime/helpers.ts';
import { benchDb } from './bench-stack.ts';

const env = (k: string, d: number): number => Number(process.env[`HOTWATCH_GATE_${k}`] ?? d);
const ROUNDS = env('ROUNDS', 3), SUBS = env('SUBSCRIBERS', 20), ROWS = env('ROWS', 200), TXS = env('TXS', 40);

const db = await benchDb('rt-gate');
const { sql, stack } = db;
const rt = stack!.services.get('realtime') as RealtimeService;
const org = await createTestOrg(sql, 'gate');
const secret = stack!.config.keys.jwtSecret, anonKey = stack!.config.keys.anonKey;
let received = 0;
const clients: SupabaseClient[] = [];
for (let i = 0; i < SUBS; i++) {
  const c = createClient(stack!.apiUrl, anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
  await c.realtime.setAuth(await mintToken(secret, memberClaims([org.id])));
  clients.push(c);
  await subscribed(c.channel(`gate-${i}`).on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'hotspots', filter: `org_id=eq.${org.id}` }, () => { received++; }));
}

async function burst(label: string): Promise<number> {
  const before = { ...rt.metrics() };
  rt.resetLag();
  received = 0;
  const t0 = performance.now();
  for (let t = 0; t < TXS; t++) {
    await sql.begin(async (tx) => { for (let r = 0; r < ROWS / TXS; r++) await insertHotspot(tx as never, org.id, `${label}-${t}-${r}-${Math.random()}`); });
  }
  const written = performance.now();
  await waitFor(() => received >= SUBS * ROWS, 120_000, 'deliveries');
  const ms = performance.now() - t0;
  const m = rt.metrics();
  const d = (k: string): number => (m[k] ?? 0) - (before[k] ?? 0);
  console.log(JSON.stringify({ label, ms: Math.round(ms), afterLastCommitMs: Math.round(performance.now() - written), deliveries: received, probeQueries: d('rlsGroupQueries'), gateChecks: d('rlsGateChecks'), cachedVerdicts: d('rlsCachedVerdicts'), visibilityWaits: d('visibilityWaits'),
    rlsP50Ms: m.rlsP50Ms, rlsP99Ms: m.rlsP99Ms, sendP50Ms: m.sendP50Ms, sendP99Ms: m.sendP99Ms }));
  return ms;
}

const policy = `"banned accounts reach nothing"`;
await burst('warm-up');
for (let round = 1; round <= ROUNDS; round++) {
  await burst(`with-policy-${round}`);
  await sql.unsafe(`drop policy ${policy} on public.hotspots`);
  await burst(`without-policy-${round}`);
  await sql.unsafe(`create policy ${policy} on public.hotspots as restrictive for all to authenticated using ((select rls.token_account_active())) with check ((select rls.token_account_active()))`);
}
for (const c of clients) c.realtime.disconnect();
await db.close();
