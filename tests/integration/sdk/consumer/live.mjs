// A user's script on the packed @hotwatch/client, run with plain `node` (no TypeScript
// loader): sign in, follow the hotspots stream, say when it is live, and exit 0 after
// the first row that arrives live (printed as JSON), closing everything it opened.
import { createClient } from '@supabase/supabase-js';
import { createHotwatch } from '@hotwatch/client';
import WebSocket from 'ws';

const env = (k) => process.env[k] ?? (() => { throw new Error(`${k} is required`); })();
const supabase = createClient(env('SUPABASE_URL'), env('SUPABASE_ANON_KEY'), {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket }, // Node 20 has no global WebSocket
});
const { error } = await supabase.auth.signInWithPassword({ email: env('HOTWATCH_EMAIL'), password: env('HOTWATCH_PASSWORD') });
if (error) throw error;

const hw = createHotwatch(supabase);
const giveUp = setTimeout(() => { console.error(`no live row (status ${hw.status})`); process.exit(2); }, Number(process.env.TIMEOUT_MS ?? 60_000));
hw.onError((e) => console.error(`${e.code}: ${e.message}`));
let announced = false;
hw.onStatus((s) => {
  if (s === 'live' && !announced) console.log(JSON.stringify({ status: (announced = true, s) }));
});
hw.subscribe('hotspots', (e) => {
  if (e.type !== 'upsert' || e.source !== 'live') return;
  console.log(JSON.stringify({ received: e.row.id, version: e.row.version, category: e.row.category }));
  clearTimeout(giveUp);
  void hw.close().then(() => supabase.realtime.disconnect());
}, { orgId: env('HOTWATCH_ORG_ID') });
