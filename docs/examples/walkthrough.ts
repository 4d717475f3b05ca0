/**
 * The quick test from docs/functions.md, against `npm start` (or any Supabase project):
 * sign in as the demo operator, watch the three streams with supabase-js Realtime,
 * send four weeks of background events plus fresh clusters through ingest-events,
 * call hotspot-scan, then approve the top recommendation and watch it arrive as an
 * UPDATE.
 *
 *   node --import tsx docs/examples/walkthrough.ts
 *
 * Env (defaults: the local stack): SUPABASE_URL, SUPABASE_ANON_KEY, HOTWATCH_EMAIL,
 * HOTWATCH_PASSWORD, HOTWATCH_ORG_ID.
 */
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { DemoEvent } from '../../dashboard/src/demo-data.ts';
import { runDemo } from '../../dashboard/src/demo-runner.ts';
import { DEMO_ORGS, DEMO_PASSWORD } from '../../stack/src/demo.ts';
import { DEFAULT_ANON_KEY } from '../../stack/src/keys.ts';

const url = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321';
const orgId = process.env.HOTWATCH_ORG_ID ?? DEMO_ORGS.northside;
const supabase = createClient(url, process.env.SUPABASE_ANON_KEY ?? DEFAULT_ANON_KEY, {
  auth: { persistSession: false },
  realtime: { transport: WebSocket as never }, // Node 20 has no global WebSocket
});

const { error: authError } = await supabase.auth.signInWithPassword({
  email: process.env.HOTWATCH_EMAIL ?? 'operator@northside.demo',
  password: process.env.HOTWATCH_PASSWORD ?? DEMO_PASSWORD,
});
if (authError) throw authError;

// 1. Watch the streams (RLS: the operator sees only their org's rows).
type Change = { table: string; eventType: string; new: Record<string, unknown> };
const changes: Change[] = [];
const channel = supabase.channel('walkthrough');
for (const table of ['hotspots', 'alerts', 'recommendations']) {
  channel.on('postgres_changes' as never, { event: '*', schema: 'public', table, filter: `org_id=eq.${orgId}` } as never, (c: Change) => {
    changes.push(c);
    const n = c.new;
    const what = table === 'hotspots' ? `${n.status} ${n.severity} ${n.category}, ${n.observed} events in ${(n.cells as unknown[]).length} cells`
      : table === 'alerts' ? `${n.state} ${n.severity}: ${n.title}`
      : `${n.status} #${n.rank}: ${n.action}`;
    console.log(`[stream] ${c.eventType.padEnd(6)} ${table.padEnd(15)} id=${n.id} ${what}`);
  });
}
await new Promise<void>((resolve, reject) => channel.subscribe((s, err) => (s === 'SUBSCRIBED' ? resolve() : s === 'CHANNEL_ERROR' ? reject(err) : undefined)));
console.log('subscribed to hotspots, alerts, recommendations');

async function call<T>(name: string, body: Record<string, unknown>): Promise<T> {
  const { data, error } = await supabase.functions.invoke(name, { body });
  if (error) throw new Error(`${name}: ${error.message} ${await (error.context as Response | undefined)?.text?.()}`);
  return data as T;
}

// 2. Events in, then a scan (the dashboard's demo generator: 4 weeks of background + clusters).
const demo = await runDemo({
  ingest: (events: DemoEvent[]) => call('ingest-events', { org_id: orgId, events }),
  triggerScan: async () => {
    const raw = await call<{ scan_id: number; status: string }>('hotspot-scan', { org_id: orgId });
    return { scanId: raw.scan_id, status: raw.status, hotspots: null, alerts: null, recommendations: null, raw };
  },
  }, { onProgress: (p) => { if (p.phase !== 'background' || p.sent % 50_000 === 0) console.log(`[demo] ${p.message}`); } });
console.log('[scan]', JSON.stringify(demo.scan?.raw));

// 3. Approve the top recommendation; it comes back on the stream as an UPDATE.
const deadline = Date.now() + 15_000;
let rec: Change | undefined;
while (!(rec = changes.find((c) => c.table === 'recommendations' && c.eventType === 'INSERT' && c.new.rank === 1)) && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 100));
}
if (!rec) {
  console.log('no recommendation yet (every injected cluster may already be alerted from an earlier run); scan again later');
} else {
  const decided = await call<{ recommendation: { status: string } }>('decisions', { action: 'approve', recommendation_id: rec.new.id, reason: 'walkthrough' });
  console.log(`[decisions] recommendation ${rec.new.id} → ${decided.recommendation.status}`);
  await new Promise((r) => setTimeout(r, 1500));
}
await supabase.removeAllChannels();
await supabase.auth.signOut();
process.exit(0);
