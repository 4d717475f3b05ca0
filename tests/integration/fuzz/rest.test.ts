/**
 * Fuzzing /rest/v1 through the gateway with fetch: query strings (select, filters with
 * every operator, logic trees, order, limit/offset, on_conflict, columns), headers
 * (Prefer, Range, Accept, profiles, content types), methods and bodies, as anon and as
 * members of org A of each role. Invariants: never a 5xx, never a byte of org B's
 * data, never a row written (the bodies carry a marker nobody else writes), and the
 * stack answers a health check and a valid request afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { assertAlive, createSecretOrg, footprint, orgTokens, serviceJwt, stackInfo, streamRowCount, type SecretOrg } from '../../support/hardening.ts';

const info = stackInfo();
const sql = adminSql(4);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** A request unanswered for this long counts as a hang (the stack is shared and busy, so generous). */
const REQUEST_TIMEOUT_MS = 20_000;
const MARK = `FUZZMARK${Date.now().toString(36)}`;
let a: SecretOrg;
let b: SecretOrg;
let tokens: Record<string, string | undefined>;

beforeAll(async () => {
  a = await createSecretOrg(sql, 'fuzz-rest-a');
  b = await createSecretOrg(sql, 'fuzz-rest-b');
  const t = orgTokens(a);
  tokens = { anon: undefined, viewer: t.viewer, operator: t.operator, admin: t.admin };
});
afterAll(() => sql.end());

// ---- the request grammar -----------------------------------------------------------------

const TABLE_COLUMNS: Record<string, string[]> = {
  hotspots: ['id', 'org_id', 'dedup_key', 'status', 'severity', 'cells', 'observed', 'p_value', 'version', 'tx_id', 'category', 'created_at'],
  alerts: ['id', 'org_id', 'hotspot_id', 'dedup_key', 'state', 'severity', 'title', 'description', 'version', 'notify_count'],
  recommendations: ['id', 'org_id', 'alert_id', 'status', 'rank', 'score', 'citations', 'action', 'rationale', 'version'],
  events: ['id', 'org_id', 'source', 'external_id', 'category', 'occurred_at', 'lat', 'lng', 'weight', 'attributes', 'h3_cell'],
  count_cube: ['org_id', 'category', 'cell', 'bucket', 'n', 'weight_sum'],
  decisions: ['id', 'org_id', 'alert_id', 'recommendation_id', 'action', 'reason', 'actor'],
  scan_runs: ['id', 'org_id', 'trigger', 'status', 'stats', 'error', 'parameters'],
  orgs: ['id', 'slug', 'name', 'created_at'],
  memberships: ['org_id', 'user_id', 'role'],
  playbooks: ['id', 'org_id', 'slug', 'title', 'category', 'tags', 'severities', 'steps', 'fts', 'body'],
};
const TABLES = Object.keys(TABLE_COLUMNS);
const ALL_COLUMNS = [...new Set(Object.values(TABLE_COLUMNS).flat()), 'no_such_column', '*'];
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct', 'fts', 'plfts', 'phfts', 'wfts',
  'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'not.eq', 'not.in', 'like(any)', 'ilike(all)', 'bogus', ''];
const NASTY = ["'", '"', '\\', "'; drop table public.events; --", ')or(1=1', '(', ')', ',', '.', '*', '%', '%00', '%ZZ', '\u0000', '\uD800', '😀',
  'null', 'true', 'not_null', 'unknown', '{}', '{a,b}', '[1,2]', '("a","b")', '[1,10)', '1e309', '-1', '9223372036854775808', 'NaN', 'infinity',
  '2026-13-45', 'x'.repeat(300), '$1', '::text', '->>', 'org_id', 'pg_sleep(1)', '(select 1)'];
/** Mostly well-formed, sometimes hostile: the fuzzer must reach the database, not only the parser. */
const WELL_FORMED = ['1', '0', 'fire', 'high', 'new', 'pending', 'firing', '2026-01-01', '(1,2,3)', '(fire,flood)', '{fire}', 'null', 'true', '*ire*', '5'];

/** Arbitraries are built once per key (building one inside `chain` per run is slow). */
function memo<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
  const cache = new Map<string, T>();
  return (...args: A) => {
    const k = JSON.stringify(args);
    let v = cache.get(k);
    if (v === undefined) { v = fn(...args); cache.set(k, v); }
    return v;
  };
}
const EMBEDS = ['alerts', 'hotspots', 'orgs', 'recommendations', 'decisions', 'playbooks', 'events', 'memberships', 'x', 'hotspot_id', 'nope'];
const HINTS = ['', '', '!inner', '!left', '!hotspot_id', '!alerts_hotspot_id_fkey', '!id', '!nope', '!inner!left', '!"q"'];
const IDENT = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/);
const columnOf = memo((table: string) => fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...(Object.hasOwn(TABLE_COLUMNS, table) ? TABLE_COLUMNS[table]! : ALL_COLUMNS)) },
  { weight: 1, arbitrary: fc.constantFrom(...ALL_COLUMNS) },
  { weight: 1, arbitrary: IDENT },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
));
const value = memo((orgIds: string[]) => fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...WELL_FORMED) },
  { weight: 3, arbitrary: fc.constantFrom(...orgIds) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
));
const opOf = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('eq', 'neq', 'gt', 'lt', 'in', 'is', 'like', 'cs', 'not.eq') }, { weight: 2, arbitrary: fc.constantFrom(...OPS) });
const selectItem = memo((table: string) => fc.oneof(
  { weight: 12, arbitrary: columnOf(table) },
  { weight: 1, arbitrary: fc.tuple(columnOf(table), fc.constantFrom('::text', '::int', '::jsonb', '::no_such_type', '::text[]', '::regclass', '::"evil type"')).map(([c, t]) => c + t) },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), columnOf(table)).map(([alias, c]) => `${alias}:${c}`) },
  { weight: 1, arbitrary: fc.tuple(columnOf(table), fc.constantFrom('->a', '->>a', '->0', '->>0->b', "->'x'")).map(([c, p]) => c + p) },
  { weight: 1, arbitrary: fc.tuple(columnOf(table), fc.constantFrom('count()', 'sum()', 'avg()')).map(([c, agg]) => `${c}.${agg}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('alerts', 'hotspots', 'orgs', 'recommendations'), columnOf(table)).map(([t, c]) => `${t}(${c})`) },
  // Embeds: aliases, spreads, hints (constraints, columns, junk), !inner/!left, nesting.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('', '...', 'x:'), fc.constantFrom(...EMBEDS), fc.constantFrom(...HINTS), columnOf(table),
    fc.constantFrom('', ',orgs(slug)', ',alerts!inner(id)', ',...orgs(name)', ',recommendations(count)', ',hotspots()')).map(([pre, t, hint, c, nested]) => `${pre}${t}${hint}(${c}${nested})`) },
));
/** Embedded filters, order, paging and null checks on embed paths (selected or not). */
const embedParam = memo((orgIds: string[]) => fc.oneof(
  fc.tuple(fc.constantFrom(...EMBEDS), columnOf(''), opOf, value(orgIds)).map(([e, c, op, v]) => [`${e}.${c}`, `${op}.${v}`] as [string, string]),
  fc.tuple(fc.constantFrom(...EMBEDS), fc.constantFrom('order', 'limit', 'offset', 'or'), fc.constantFrom('id.desc', '1', '-1', '(id.eq.1,id.gt.2)', 'x'))
    .map(([e, k, v]) => [`${e}.${k}`, v] as [string, string]),
  fc.tuple(fc.constantFrom(...EMBEDS), fc.constantFrom('is.null', 'not.is.null')).map(([e, v]) => [e, v] as [string, string]),
  fc.tuple(fc.constantFrom(...EMBEDS), columnOf('')).map(([e, c]) => ['order', `${e}(${c}).desc`] as [string, string]),
));
const filterParam = memo((table: string, orgIds: string[]) => fc.tuple(columnOf(table), opOf, value(orgIds)).map(([c, op, v]) => [c, op === '' ? v : `${op}.${v}`] as [string, string]));
const logic = memo((table: string, orgIds: string[]): fc.Arbitrary<string> => fc.letrec<{ tree: string }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.tuple(columnOf(table), opOf, value(orgIds)).map(([c, op, v]) => `${c}.${op}.${v}`),
    fc.tuple(fc.constantFrom('or', 'and', 'not.or', 'not.and'), fc.array(tie('tree'), { minLength: 1, maxLength: 3 })).map(([k, xs]) => `${k}(${xs.join(',')})`),
  ),
})).tree);
const params = memo((table: string, orgIds: string[]) => fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.array(selectItem(table), { minLength: 1, maxLength: 4 }).map((xs) => ['select', xs.join(',')] as [string, string]) },
  { weight: 5, arbitrary: filterParam(table, orgIds) },
  { weight: 2, arbitrary: embedParam(orgIds) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('or', 'and', 'not.or'), fc.array(logic(table, orgIds), { minLength: 1, maxLength: 3 })).map(([k, xs]) => [k, `(${xs.join(',')})`] as [string, string]) },
  { weight: 2, arbitrary: fc.tuple(columnOf(table), fc.constantFrom('', '.asc', '.desc', '.nullsfirst', '.desc.nullslast', '.sideways')).map(([c, d]) => ['order', c + d] as [string, string]) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('-1', '0', '1', 'abc', '1e3', '99999999999999999999', ''), fc.nat().map(String)).map((v) => ['limit', v] as [string, string]) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('-1', 'x', '1.5', '99999999999999999999'), fc.nat().map(String)).map((v) => ['offset', v] as [string, string]) },
  { weight: 1, arbitrary: fc.array(columnOf(table), { minLength: 1, maxLength: 3 }).map((xs) => ['on_conflict', xs.join(',')] as [string, string]) },
  { weight: 1, arbitrary: fc.array(columnOf(table), { minLength: 1, maxLength: 3 }).map((xs) => ['columns', xs.join(',')] as [string, string]) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })) },
), { maxLength: 4 }));

const PREFER = ['return=representation', 'return=minimal', 'return=headers-only', 'count=exact', 'count=planned', 'count=estimated', 'tx=rollback',
  'tx=commit', 'handling=strict', 'handling=lenient', 'max-affected=-1', 'max-affected=0', 'resolution=merge-duplicates', 'resolution=ignore-duplicates',
  'missing=default', 'timezone=Mars/Olympus', 'timezone=UTC', 'params=single-object', 'nonsense', ''];
/** Each header absent most of the time, so the request usually gets past content negotiation. */
const rare = <T>(arb: fc.Arbitrary<T>, absentWeight = 4) => fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const headers = fc.record({
  prefer: rare(fc.array(fc.constantFrom(...PREFER), { maxLength: 4 }).map((xs) => xs.join(', ')), 2),
  range: rare(fc.constantFrom('0-', '-5', 'abc', '5-1', '0-0', '1-999999999999', 'items=0-9', '')),
  accept: rare(fc.constantFrom('application/json', 'text/csv', 'application/vnd.pgrst.object+json', 'application/vnd.pgrst.plan+json',
    'application/geo+json', 'application/openapi+json', '*/*', 'text/html', 'application/vnd.pgrst.object+json;nulls=stripped', '')),
  'accept-profile': rare(fc.constantFrom('', 'public', 'graphql_public', 'auth', 'realtime', 'vault', 'cron', 'net', 'pg_catalog', 'extensions', 'x"y'), 6),
  'content-profile': rare(fc.constantFrom('', 'public', 'auth', 'vault'), 6),
  'content-type': rare(fc.constantFrom('application/json', 'text/csv', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', ''), 3),
}).map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>);

/** Text columns a write may carry the marker in (so a stored row is found by markerRows). */
const MARK_COLUMNS: Record<string, string[]> = {
  hotspots: ['dedup_key'], alerts: ['title', 'dedup_key'], recommendations: ['action'], count_cube: ['category'], decisions: ['reason'],
  scan_runs: ['error'], orgs: ['name'], memberships: [], playbooks: ['title'],
};
const body = memo((table: string, orgIds: string[]) => {
  const marks = Object.fromEntries((MARK_COLUMNS[table] ?? []).map((c) => [c, MARK]));
  const withOrg = (o: Record<string, unknown>) => (table === 'orgs' ? o : { org_id: orgIds[0], ...o });
  return fc.oneof(
    { weight: 8, arbitrary: fc.dictionary(columnOf(table), fc.oneof(fc.constant(MARK), fc.constantFrom(...orgIds), fc.constantFrom(...WELL_FORMED), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 4 })
      .map((o) => JSON.stringify(withOrg({ ...o, ...marks }))) },
    { weight: 2, arbitrary: fc.array(fc.record({ org_id: fc.constantFrom(...orgIds), status: fc.constantFrom('resolved', 'superseded', 'approved', 'x') }), { minLength: 1, maxLength: 3 })
      .map((xs) => JSON.stringify(xs.map((x) => ({ ...x, ...marks })))) },
    { weight: 2, arbitrary: fc.constantFrom('{"state":"resolved"}', '{"status":"superseded"}', '{"role":"admin"}', '{"org_id":"%B"}', '{"version":1}') },
    { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '[[]]', `a,b\n1,${MARK}`, `{"role":"admin","org_id":"%B","user_id":"%U"}`) },
  );
});

type Who = 'anon' | 'viewer' | 'operator' | 'admin';

const previous: string[] = [];
async function send(method: string, path: string, qs: Array<[string, string]>, hdrs: Record<string, string>, who: Who, text?: string) {
  const search = new URLSearchParams(qs).toString();
  // Without a content type fetch labels a string body text/plain; PostgREST clients send JSON.
  const h: Record<string, string> = { apikey: info.anonKey, 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(hdrs)) if (v !== '') h[k] = v;
  const token = tokens[who];
  if (token) h.authorization = `Bearer ${token}`;
  const url = `${info.apiUrl}/rest/v1/${path}${search ? `?${search}` : ''}`;
  previous.push(`${method} ${url} as ${who} ${JSON.stringify(hdrs)} ${text?.slice(0, 200) ?? ''}`);
  if (previous.length > 4) previous.shift();
  const what = `${method} ${url} as ${who} ${JSON.stringify(hdrs)} ${text?.slice(0, 200) ?? ''}`;
  const t0 = performance.now();
  try {
    const res = await fetch(url, {
      method, headers: h, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(text !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: text } : {}),
    });
    const out = { status: res.status, text: await res.text(), headers: res.headers };
    if (process.env.FUZZ_DEBUG && performance.now() - t0 > 300) console.log('SLOW', Math.round(performance.now() - t0), what, out.status, out.text.slice(0, 200));
    return out;
  } catch (e) {
    if (process.env.FUZZ_DEBUG) console.log('PREVIOUS', previous);
    throw new Error(`no answer (${e instanceof Error ? `${e.message}: ${String((e as { cause?: unknown }).cause)}` : String(e)}) to ${what}`);
  }
}

/** Statuses seen per property: the fuzzer must reach the database, not only the parser. */
const seen = new Map<string, number[]>();
function tally(prop: string, status: number, text = ''): void {
  if (process.env.FUZZ_DEBUG === '2') console.log(prop, status, text.slice(0, 160));
  const xs = seen.get(prop) ?? [];
  xs.push(status);
  seen.set(prop, xs);
}
const share = (prop: string, pred: (s: number) => boolean): number => {
  const xs = seen.get(prop) ?? [];
  return xs.filter(pred).length / Math.max(1, xs.length);
};

function check(r: { status: number; text: string; headers: Headers }, what: string): void {
  expect(r.status, `${what}\n→ ${r.status} ${r.text.slice(0, 400)}`).toBeLessThan(500);
  expect(r.text.includes(b.secret), `${what} leaked org B's data`).toBe(false);
  for (const [, v] of r.headers) expect(v.includes(b.secret), `${what} leaked org B's data in a header`).toBe(false);
}

async function markerRows(): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select ((select count(*) from public.hotspots where dedup_key = ${MARK}) + (select count(*) from public.alerts where title = ${MARK} or dedup_key = ${MARK})
          + (select count(*) from public.orgs where name = ${MARK}) + (select count(*) from public.playbooks where title = ${MARK} or slug = ${MARK.toLowerCase()})
          + (select count(*) from public.events where source = ${MARK} or external_id = ${MARK} or attributes::text like ${'%' + MARK + '%'})
          + (select count(*) from public.decisions where reason = ${MARK}) + (select count(*) from public.recommendations where action = ${MARK})
          + (select count(*) from public.count_cube where category = ${MARK}) + (select count(*) from public.scan_runs where error = ${MARK}))::int as n`;
  return r!.n;
}

// ---- properties ----------------------------------------------------------------------------

describe('fuzz: REST through the gateway', () => {
  it('reads with arbitrary query strings and headers: never a 5xx, never org B\'s rows', async () => {
    const ids = [a.id, b.id, String(b.hotspotId), String(b.alertId)];
    const path = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...TABLES) },
      { weight: 1, arbitrary: fc.constantFrom('rpc/stream_resume', 'rpc/match_playbooks', 'rpc/custom_access_token_hook', 'rpc/nope', '', 'hotspots/1', '../auth/v1/user') },
      { weight: 1, arbitrary: fc.string({ maxLength: 15 }) },
    );
    const request = path.chain((p) => fc.tuple(fc.constant(p), params(p, ids), headers));
    await fc.assert(fc.asyncProperty(request, fc.constantFrom<Who>('anon', 'viewer', 'operator', 'admin'), fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
      async ([path, qs, hdrs], who, method) => {
        const r = await send(method, encodeURI(path), qs, hdrs, who);
        tally('read', r.status, r.text);
        check(r, `${method} ${path}?${new URLSearchParams(qs)} as ${who} ${JSON.stringify(hdrs)}`);
      }), { numRuns: RUNS });
    if (process.env.FUZZ_DEBUG) console.log('read statuses', JSON.stringify(Object.fromEntries([...new Set(seen.get('read'))].map((x) => [x, seen.get('read')!.filter((y) => y === x).length]))));
    expect(share('read', (x) => x === 200 || x === 206)).toBeGreaterThan(0.05);
  });

  it('writes (POST/PATCH/PUT/DELETE/other) with arbitrary bodies as anon and org A members: nothing is ever written', async () => {
    const before = [await footprint(sql, a.id), await footprint(sql, b.id), await streamRowCount(sql)];
    const ids = [a.id, b.id];
    // Operators may legitimately insert their own org's events over REST; every other table is read-only to them.
    const targets = TABLES.filter((t) => t !== 'events');
    const path = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...targets) },
      { weight: 1, arbitrary: fc.constantFrom('rpc/stream_resume', 'rpc/custom_access_token_hook', 'rpc/h3_cell_to_parent', 'rpc/refuse_delete', 'rpc/count_cube_add') },
    );
    const request = path.chain((p) => fc.tuple(fc.constant(p), params(p, ids), headers, body(p, ids)));
    await fc.assert(fc.asyncProperty(request, fc.constantFrom<Who>('anon', 'viewer', 'operator', 'admin'),
      fc.constantFrom('POST', 'PATCH', 'PATCH', 'DELETE', 'DELETE', 'PUT', 'OPTIONS', 'PROPFIND'),
      async ([path, qs, hdrs, text], who, method) => {
        const bodyText = text.replace('%B', b.id).replace('%U', a.viewer.id);
        const r = await send(method, path, qs, hdrs, who, bodyText);
        tally('write', r.status, r.text);
        check(r, `${method} ${path}?${new URLSearchParams(qs)} as ${who} ${JSON.stringify(hdrs)} ${bodyText.slice(0, 200)}`);
      }), { numRuns: RUNS });
    expect([await footprint(sql, a.id), await footprint(sql, b.id)]).toEqual(before.slice(0, 2));
    // Other files insert stream rows in parallel: globally the counts may only grow (nothing was deleted).
    const after = await streamRowCount(sql);
    for (const [t, n] of Object.entries(before[2] as Record<string, number>)) expect(after[t], t).toBeGreaterThanOrEqual(n);
    expect(await markerRows()).toBe(0);
    if (process.env.FUZZ_DEBUG) console.log('write statuses', JSON.stringify(Object.fromEntries([...new Set(seen.get('write'))].map((x) => [x, seen.get('write')!.filter((y) => y === x).length]))));
    // Some writes must get past the parser to the database (RLS/grants refuse them, or they match no row).
    expect(share('write', (x) => [200, 201, 204, 401, 403].includes(x))).toBeGreaterThan(0.04);
    expect(share('write', (x) => x === 401 || x === 403)).toBeGreaterThan(0);
  });

  it('anon and viewers cannot insert events over REST; an operator cannot insert into another org', async () => {
    const ev = (org: string, id: string) => ({ org_id: org, source: MARK, external_id: id, category: 'fire', occurred_at: new Date().toISOString(), lat: 1, lng: 1, h3_cell: '89754e64993ffff' });
    for (const [who, org] of [['anon', a.id], ['viewer', a.id], ['operator', b.id], ['admin', b.id]] as Array<[Who, string]>) {
      const r = await send('POST', 'events', [], { 'content-type': 'application/json', prefer: 'return=representation' }, who, JSON.stringify(ev(org, `${who}-${org}`)));
      check(r, `POST events as ${who}`);
      expect([401, 403], `${who}: ${r.text}`).toContain(r.status);
    }
    expect(await markerRows()).toBe(0);
  });

  it('the stack still answers a health check and valid requests afterwards', async () => {
    await assertAlive();
    const r = await send('GET', 'hotspots', [['select', 'dedup_key'], ['org_id', `eq.${a.id}`]], {}, 'viewer');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual([{ dedup_key: a.secret }]);
    const s = await fetch(`${info.apiUrl}/rest/v1/hotspots?select=dedup_key&org_id=eq.${b.id}`, { headers: { apikey: info.anonKey, authorization: `Bearer ${serviceJwt()}` } });
    expect(await s.json()).toEqual([{ dedup_key: b.secret }]);
  });
});
