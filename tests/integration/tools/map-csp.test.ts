/**
 * tools/map-csp: the CSP line for a static host, from the org settings over REST (service
 * role) and the configured style's origins — the same policy the stack sends.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg } from '../../support/fixtures.ts';

const sql = adminSql(2);
let server: http.Server;
let orgId: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: 8, glyphs: 'https://fonts.example.org/{fontstack}/{range}.pbf', sources: { t: { type: 'vector', tiles: ['https://tiles.example.org/{z}/{x}/{y}.mvt'] } }, layers: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  orgId = (await createTestOrg(sql, 'map-csp')).id;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/style.json`;
  await sql`update public.org_settings set map = ${sql.json({ basemap: { kind: 'style', url } })} where org_id = ${orgId}`;
});
afterAll(async () => {
  await sql`update public.org_settings set map = '{}' where org_id = ${orgId}`;
  await sql.end();
  server.close();
});

it('prints the policy naming the API and the configured style\'s origins', async () => {
  const stack = inject('stack');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tools/map-csp/cli.ts')], {
    cwd: REPO_ROOT, env: { ...process.env, SUPABASE_URL: stack.apiUrl, SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey },
  });
  const api = new URL(stack.apiUrl);
  const style = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connect = stdout.split(';').map((s) => s.trim()).find((s) => s.startsWith('connect-src '))!.split(/\s+/).slice(1);
  expect(stdout).toMatch(/^Content-Security-Policy: default-src 'self'; /);
  expect(connect).toEqual(expect.arrayContaining(["'self'", api.origin, `ws://${api.host}`, style, 'https://fonts.example.org', 'https://tiles.example.org']));
  expect(stdout).toContain("worker-src 'self'");
});
