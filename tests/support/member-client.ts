/** A supabase-js client acting as a member (a minted JWT) over the `ws` WebSocket. */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { Database } from '../../client-sdk/src/index.ts';

export function memberClient(url: string, anonKey: string, token: string): SupabaseClient<Database> {
  const c = createClient<Database>(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
    realtime: { transport: WebSocket as never },
  });
  void c.realtime.setAuth(token);
  return c;
}
