/**
 * The operator dashboard at /dashboard/: the Vite build of dashboard/ (built on start
 * when missing or stale, see build.ts), plus /dashboard/config.json with the anon key
 * the page needs (the API is the page's own origin). A Content-Security-Policy header
 * stops the page from talking to any origin but its own and those of the MapLibre
 * styles orgs have configured as their basemap (map-origins.ts; docs/dashboard.md "CSP").
 */
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { REPORT_STYLE_SOURCE } from '../../../after-action/report-style-hash.ts';
import type { ServiceFactory } from '../service-types.ts';
import { dashboardCsp } from '../../../dashboard/src/csp.ts';
import { createInternalDb } from '../postgres/internal-db.ts';
import { DIST_DIR, ensureDashboardBuilt } from './build.ts';
import { createMapOrigins } from './map-origins.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The page's policy (dashboard/src/csp.ts): our origin and its WebSocket, the configured map styles' origins, and the printable report's style by its hash. */
function securityHeaders(req: IncomingMessage, mapOrigins: readonly string[] = []): Record<string, string> {
  const host = req.headers.host ?? '127.0.0.1';
  return {
    'content-security-policy': dashboardCsp([`ws://${host}`, `wss://${host}`], mapOrigins, [REPORT_STYLE_SOURCE]),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}, mapOrigins: readonly string[] = []): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...securityHeaders(req, mapOrigins), ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const startDashboard: ServiceFactory = async (ctx) => {
  let buildError: string | null = null;
  try {
    await ensureDashboardBuilt(ctx.log);
  } catch (e) {
    // Keep the stack up (the API matters more than the page) and say why on the page.
    buildError = e instanceof Error ? e.message : String(e);
    ctx.log.error('dashboard build failed; serving the previous build if there is one', { error: buildError.slice(0, 2000) });
  }
  const config = JSON.stringify({ anonKey: ctx.config.keys.anonKey });
  const db = createInternalDb(ctx.dbUrl, ctx.log, { max: 2, applicationName: 'hotwatch-dashboard' });
  const mapOrigins = createMapOrigins(db, ctx.log.child('dashboard-csp'));

  const handle = async (req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(req, res, 405, 'application/json', JSON.stringify({ message: 'Method not allowed' }), { allow: 'GET, HEAD' });
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    // Relative asset URLs need the trailing slash.
    if (url.pathname === '/dashboard') {
      res.writeHead(308, { location: `/dashboard/${url.search}`, 'content-length': 0 });
      return void res.end();
    }
    if (subpath === '/config.json') {
      return send(req, res, 200, TYPES['.json']!, config, { 'cache-control': 'no-store' });
    }

    let rel: string;
    try {
      rel = decodeURIComponent(subpath);
    } catch {
      return send(req, res, 400, 'text/plain; charset=utf-8', 'Bad path');
    }
    const file = path.resolve(DIST_DIR, '.' + (rel.endsWith('/') ? rel + 'index.html' : rel));
    if (file !== DIST_DIR && !file.startsWith(DIST_DIR + path.sep)) return send(req, res, 404, 'text/plain; charset=utf-8', 'Not found');
    if (path.basename(file).startsWith('.')) return send(req, res, 404, 'text/plain; charset=utf-8', 'Not found');

    let body = await fs.readFile(file).catch(() => null);
    let servedFile = file;
    if (!body && path.extname(file) === '') {
      // Client-side routes fall back to the app shell.
      servedFile = path.join(DIST_DIR, 'index.html');
      body = await fs.readFile(servedFile).catch(() => null);
    }
    if (!body) {
      if (servedFile.endsWith('index.html')) {
        const why = buildError ?? 'dashboard/dist is missing';
        return send(req, res, 503, 'text/plain; charset=utf-8', `The dashboard is not built: ${why}\nFix the build and restart (npm start).\n`);
      }
      return send(req, res, 404, 'text/plain; charset=utf-8', 'Not found');
    }
    // The page's policy names the configured map styles' origins (read now: a changed basemap counts at the next load).
    // So does MapLibre's worker: a module worker is governed by its own response's CSP, and
    // it fetches the tiles and GeoJSON; it is revalidated each load so that policy stays current.
    const worker = /maplibre-gl-worker[^/]*\.mjs$/.test(servedFile);
    const hashed = /\/assets\//.test(servedFile) && !worker;
    const origins = servedFile.endsWith('.html') || worker
      ? await mapOrigins.origins().catch((e: unknown) => { ctx.log.warn('map origins unavailable', { error: String(e) }); return []; })
      : [];
    return send(req, res, 200, TYPES[path.extname(servedFile)] ?? 'application/octet-stream', body,
      { 'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache' }, origins);
  };

  return {
    name: 'dashboard',
    mounts: [{ prefix: '/dashboard', handle, mapKeys: false, cors: false }],
    async stop() { await db.end(); },
  };
};
