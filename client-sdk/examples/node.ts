/**
 * @hotwatch/client on Node 20, against `npm start` (or a Supabase project): sign in,
 * follow the three streams (snapshot, then live, gap-free across reconnects), print
 * each change and the connection status, and approve the top pending recommendation.
 *
 *   node --conditions=@hotwatch/source --import tsx client-sdk/examples/node.ts [seconds=60] [--approve]
 *
 * (The condition resolves '@hotwatch/client' to the workspace's TypeScript source; without it,
 * to the built dist/ that `npm run build -w @hotwatch/client` writes.)
 *
 * Env (defaults: the local stack's demo): SUPABASE_URL, SUPABASE_ANON_KEY, HOTWATCH_EMAIL,
 * HOTWATCH_PASSWORD, HOTWATCH_ORG_ID.
 */
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { ConflictError, createHotwatch, type Database, type RecommendationRow } from '@hotwatch/client';

const url = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321';
// The Supabase CLI's local anon key (public; stack/src/keys.ts).
const anonKey = process.env.SUPABASE_ANON_KEY
  ?? 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
const orgId = process.env.HOTWATCH_ORG_ID ?? '11111111-1111-4111-8111-111111111111';
const seconds = Number(process.argv[2] ?? 60);

const supabase = createClient<Database>(url, anonKey, {
  auth: { persistSession: false },
  realtime: { transport: WebSocket as never }, // Node 20 has no global WebSocket
});
const { error } = await supabase.auth.signInWithPassword({
  email: process.env.HOTWATCH_EMAIL ?? 'operator@northside.demo',
  password: process.env.HOTWATCH_PASSWORD ?? 'hotwatch-demo',
});
if (error) throw error;

const hw = createHotwatch(supabase);
hw.onStatus((s) => console.log(`[status] ${s}`));
hw.onError((e) => console.warn(`[error] ${e.code}: ${e.message}`));

const pending = new Map<number, RecommendationRow>();
hw.subscribe('hotspots', (e) => {
  if (e.type === 'upsert') console.log(`[hotspots] ${e.source} #${e.row.id} v${e.row.version} ${e.row.status} ${e.row.severity} ${e.row.category}, ${e.row.observed} events`);
}, { orgId });
hw.subscribe('alerts', (e) => {
  if (e.type === 'upsert') console.log(`[alerts] ${e.source} #${e.row.id} v${e.row.version} ${e.row.state}: ${e.row.title}`);
  if (e.type === 'removed') console.log(`[alerts] #${e.id} left the filter (${e.row.state})`);
}, { orgId, status: ['pending', 'firing', 'acknowledged'] });
hw.subscribe('recommendations', (e) => {
  if (e.type === 'upsert') pending.set(e.row.id, e.row);
  if (e.type === 'removed') pending.delete(e.id);
  if (e.type !== 'status') console.log(`[recommendations] ${e.type} #${e.type === 'removed' ? e.id : e.row.id} ${e.row.status}`);
}, { orgId, status: ['pending'] });

if (process.argv.includes('--approve')) {
  await new Promise((r) => setTimeout(r, 3_000));
  const top = [...pending.values()].sort((a, b) => a.rank - b.rank || b.score - a.score)[0];
  if (top) {
    try {
      await hw.approve(top.id, 'approved from the SDK example');
      console.log(`[approve] recommendation ${top.id} approved`);
    } catch (e) {
      if (e instanceof ConflictError) console.log(`[approve] already decided:`, e.current);
      else throw e;
    }
  } else {
    console.log('[approve] no pending recommendation (run a scan first: npm start seeds demo data)');
  }
}

await new Promise((r) => setTimeout(r, seconds * 1000));
await hw.close();
await supabase.auth.signOut();
