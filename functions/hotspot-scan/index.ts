// hotspot-scan: one prospective scan of one org (docs/functions.md). Thin adapter:
// the handler is ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { scanCube } from '../_shared/detection/index.ts';
import { errorResponse } from '../_shared/http.ts';
import { llmConfigFromEnv, openAiPhraser } from './llm.ts';
import { dispatchFromEnv } from './dispatch.ts';
import { createScanHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
// Optional LLM phrasing of rationales (off unless HOTWATCH_LLM_URL and HOTWATCH_LLM_MODEL are set).
const llm = llmConfigFromEnv({
  HOTWATCH_LLM_URL: Deno.env.get('HOTWATCH_LLM_URL'),
  HOTWATCH_LLM_MODEL: Deno.env.get('HOTWATCH_LLM_MODEL'),
  HOTWATCH_LLM_API_KEY: Deno.env.get('HOTWATCH_LLM_API_KEY'),
  HOTWATCH_LLM_TIMEOUT_MS: Deno.env.get('HOTWATCH_LLM_TIMEOUT_MS'),
});

// Process CPU time in ms (Deno.cpuUsage, µs, is not in Deno's public types; the hosted
// edge runtime may lack it) — wall time where the runtime does not report CPU.
const denoCpu = (Deno as unknown as { cpuUsage?: () => { user: number; system: number } }).cpuUsage;
function cpuMs(): number {
  if (!denoCpu) return performance.now();
  const u = denoCpu();
  return (u.user + u.system) / 1000;
}

Deno.serve(
  dbUrl
    ? createScanHandler({
      sql: connectDb(dbUrl),
      engine: scanCube,
      cpuMs,
      phraser: llm ? openAiPhraser(llm) : null,
      report: (err) => console.error('hotspot-scan failed', err),
      background: (p) => EdgeRuntime.waitUntil(p),
      selfUrl: Deno.env.get('SUPABASE_URL') ? `${Deno.env.get('SUPABASE_URL')}/functions/v1/hotspot-scan` : undefined,
      dispatch: dispatchFromEnv(Deno.env.get('HOTWATCH_SCAN_CONCURRENCY'), Deno.env.get('HOTWATCH_SCAN_ROUND_BUDGET_MS'),
        Deno.env.get('HOTWATCH_SCAN_MIN_INTERVAL_MS')),
    })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
