/**
 * `npm run export`: an org's after-action report for a period (hotspots, alerts with
 * their lifecycle, recommendations with their decisions) as CSV or printable HTML
 * (docs/export.md). Reads through the REST API with supabase-js — as a user with their
 * access token (RLS applies) or with the service key — and renders with the module the
 * dashboard uses (after-action/). Exit 0 written; 1 the read or the write failed; 2 a
 * bad command line or environment.
 */
import fs from 'node:fs/promises';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { fetchAfterAction, reportCounts, reportDocument, toCsv } from '../../after-action/index.ts';
import { LOCAL_ANON_KEY, LOCAL_SERVICE_ROLE_KEY, localApiUrl } from '../local-stack.ts';
import { parseExportOptions, readAsFromEnv, USAGE, type ExportOptions, type ReadAs } from './options.ts';

function clientFor(r: ReadAs): SupabaseClient {
  // Realtime is never opened, but supabase-js builds its client eagerly and Node 20 has no WebSocket.
  const base = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket } };
  return r.kind === 'user'
    ? createClient(r.url, r.anonKey, { ...base, global: { headers: { Authorization: `Bearer ${r.accessToken}` } } })
    : createClient(r.url, r.serviceKey, base);
}

async function main(): Promise<number> {
  let o: ExportOptions;
  let readAs: ReadAs;
  try {
    o = parseExportOptions(process.argv.slice(2));
    readAs = readAsFromEnv(process.env, { url: localApiUrl(process.env), anonKey: LOCAL_ANON_KEY, serviceKey: LOCAL_SERVICE_ROLE_KEY });
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const report = await fetchAfterAction(clientFor(readAs), { orgId: o.orgId, period: o.period });
    const text = o.format === 'csv' ? toCsv(report) : reportDocument(report);
    if (o.out) await fs.writeFile(o.out, text);
    else process.stdout.write(text);
    process.stderr.write(`exported ${reportCounts(report)} (${readAs.kind === 'user' ? 'as the token\'s user' : 'with the service key'})${o.out ? ` to ${o.out}` : ''}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`export failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main();
