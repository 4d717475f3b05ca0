// hotspot-series: a hotspot's observed-vs-expected chart data (docs/functions.md). Thin
// adapter over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createHotspotSeriesHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createHotspotSeriesHandler({ sql: connectDb(dbUrl), report: (err) => console.error('hotspot-series failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
