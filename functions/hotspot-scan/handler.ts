/**
 * hotspot-scan: one prospective scan of one org.
 *
 *   1. record a `running` scan_runs row (and mark the org's abandoned runs failed: store/scan-runs.ts);
 *   2. read the count cube and the active hotspots/alerts (no transaction);
 *   3. run the engine per category — the expensive part, outside any transaction;
 *      retrieve playbooks (and optionally phrase rationales) for the alerts that will
 *      start firing or escalate;
 *   4. one short transaction: `pg_try_advisory_xact_lock` per org (not acquired →
 *      skip and record it: another scan is writing, nobody waits on anybody's Monte
 *      Carlo); skip as well if a newer scan of the org already wrote; re-read the
 *      active rows under lock, re-plan (cheap, pure) and write with dedup-key upserts;
 *      mark the scan run succeeded in the same transaction.
 *
 * Callers: the service role (the cron schedule sends {org_id, trigger: "cron"}) or an
 * operator/admin of the org (viewer → 403, other org → 404, anon → 401).
 */
import type { ISql, Sql } from 'postgres';
import { callerFromRequest, requireOrgRole, soleOrgWith } from '../_shared/auth-claims.ts';
import type { ScanResult, ScanTrigger } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { queryFromAlert } from './rules/retrieval-query.ts';
import { searchPlaybooks } from './store/playbooks.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { failAbandonedRuns } from './store/scan-runs.ts';
import { DEFAULT_SCAN_CONFIG, type ScanConfig } from './rules/config.ts';
import { detect, type ScanEngine } from './rules/detect.ts';
import type { Phraser } from './llm.ts';
import { planScan, type RecommendationRequest } from './rules/plan.ts';
import { SCAN_MAX_BODY_BYTES, scanRequestSchema } from './schema.ts';
import { readActiveState, readCube } from './store/read.ts';
import { recommendationText, type PlaybookDetails } from './rules/recommend.ts';
import { applyPlan, emptyCounts, type PreparedRecommendation } from './store/write.ts';

export interface ScanDeps {
  sql: Sql;
  engine: ScanEngine;
  /** Epoch ms (tests pin it). */
  now?: () => number;
  /** Process CPU time in ms (Deno/Node: process.cpuUsage); falls back to wall time. */
  cpuMs?: () => number;
  config?: Partial<ScanConfig>;
  phraser?: Phraser | null;
  report?: ErrorReporter;
}


const keyOf = (hotspotKey: string, revision: number): string => `${hotspotKey}#${revision}`;

async function playbookDetails(sql: ISql, ids: string[]): Promise<Map<string, { summary: string; steps: string[] }>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<Array<{ id: string; summary: string; steps: unknown }>>`select id, summary, steps from public.playbooks where id = any(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.id, { summary: r.summary, steps: Array.isArray(r.steps) ? r.steps.map(String) : [] }]));
}

/** Retrieve, describe (and optionally phrase) the recommendations for one request. */
async function prepareRecommendations(
  sql: ISql, orgId: string, req: RecommendationRequest, cfg: ScanConfig, phraser: Phraser | null,
): Promise<PreparedRecommendation[]> {
  const q = queryFromAlert({ orgId, category: req.category, severity: req.severity, tags: req.text.tags, description: req.text.description });
  const matches = await searchPlaybooks(sql, q, cfg.topK);
  const details = await playbookDetails(sql, matches.map((m) => m.playbookId));
  const out: PreparedRecommendation[] = [];
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const d = details.get(m.playbookId) ?? { summary: '', steps: [] };
    const pb: PlaybookDetails = { playbookId: m.playbookId, slug: m.slug, title: m.title, summary: d.summary, steps: d.steps, score: m.score, textRank: m.textRank, matchedTags: m.matchedTags };
    const t = recommendationText(req.facts, pb, i + 1, matches.length);
    const phrased = phraser ? await phraser.phrase({ alert: req.text, playbook: pb, rationale: t.rationale }) : null;
    out.push({ playbookId: m.playbookId, rank: i + 1, score: m.score, action: t.action, rationale: phrased ?? t.rationale, citations: t.citations });
  }
  return out;
}

export async function runScan(deps: ScanDeps, orgId: string, trigger: ScanTrigger): Promise<ScanResult> {
  const cfg: ScanConfig = { ...DEFAULT_SCAN_CONFIG, ...deps.config };
  const { sql, engine } = deps;
  const phraser = deps.phraser ?? null;
  const cpu = deps.cpuMs ?? (() => performance.now());
  const wall = (): number => performance.now();
  const cpu0 = cpu();
  const w0 = wall();
  const now = (deps.now ?? Date.now)();
  const end = Math.ceil(now / cfg.bucketMs) * cfg.bucketMs;
  const studyStart = end - cfg.maxDurationBuckets * cfg.bucketMs;
  const readFrom = studyStart - Math.round(cfg.maxHistoryDays * 86_400_000 / cfg.bucketMs) * cfg.bucketMs;

  const parameters = {
    bucket_ms: cfg.bucketMs, max_duration_buckets: cfg.maxDurationBuckets, max_history_days: cfg.maxHistoryDays, max_k: cfg.maxK,
    replicates: cfg.replicates, compute_budget_ms: cfg.computeBudgetMs, now: new Date(now).toISOString(), llm: phraser ? phraser.model : null,
  };
  await failAbandonedRuns(sql, orgId, cfg.abandonedRunAfterMs);
  const [run] = await sql<Array<{ id: string }>>`
    insert into public.scan_runs (org_id, trigger, parameters, status) values (${orgId}, ${trigger}, ${JSON.stringify(parameters)}::text::jsonb, 'running')
    returning id`;
  const scanId = Number(run!.id);

  const summary: ScanResult = {
    scan_id: scanId, org_id: orgId, trigger, status: 'succeeded', ...emptyCounts(), detections: 0, cube_rows: 0,
    categories: {}, failed_categories: {}, timings_ms: { read: 0, compute: 0, retrieve: 0, write: 0, total: 0 }, cpu_ms: 0,
  };
  const finish = (): void => {
    summary.timings_ms.total = Math.round(wall() - w0);
    summary.cpu_ms = Math.round(cpu() - cpu0);
  };
  const statsOf = (): Record<string, unknown> => {
    const { scan_id: _s, org_id: _o, trigger: _t, status: _st, cpu_ms: _c, ...rest } = summary;
    return rest;
  };

  try {
    const [org] = await sql<Array<{ created: Date }>>`select created_at as created from public.orgs where id = ${orgId}`;
    const cube = await readCube(sql, orgId, readFrom, end, studyStart);
    const state0 = await readActiveState(sql, orgId, false);
    summary.cube_rows = cube.rows;
    const w1 = wall();
    summary.timings_ms.read = Math.round(w1 - w0);

    const historyFloor = Math.max(readFrom, Math.floor((org?.created.getTime() ?? readFrom) / cfg.bucketMs) * cfg.bucketMs);
    const found = detect(cube.cubes, { now, historyFloor, cfg, engine });
    summary.detections = found.detections.length;
    summary.categories = found.categories;
    summary.failed_categories = found.failed;
    const unscanned = new Set(Object.keys(found.failed));
    const w2 = wall();
    summary.timings_ms.compute = Math.round(w2 - w1);

    // Playbooks for the alerts this scan will (most likely) fire or escalate, fetched
    // before the transaction; a request the re-plan adds under lock is fetched there.
    const plan0 = planScan(state0, found.detections, now, cfg, unscanned);
    const prepared = new Map<string, PreparedRecommendation[]>();
    for (const req of plan0.recommendations) prepared.set(keyOf(req.hotspotKey, req.revision), await prepareRecommendations(sql, orgId, req, cfg, phraser));
    const w3 = wall();
    summary.timings_ms.retrieve = Math.round(w3 - w2);

    const outcome = await sql.begin(async (tx) => {
      const [lock] = await tx<Array<{ ok: boolean }>>`select pg_try_advisory_xact_lock(hashtextextended(${'hotwatch.scan:' + orgId}, 0)) as ok`;
      if (!lock!.ok) return 'another scan of this org is writing' as const;
      // A scan that started later on data at least as fresh already wrote: ours is stale.
      const [newer] = await tx`select 1 from public.scan_runs
                                where org_id = ${orgId} and id > ${scanId} and status = 'succeeded'
                                  and (parameters ->> 'now')::timestamptz >= ${new Date(now)} limit 1`;
      if (newer) return 'a newer scan of this org already wrote its results' as const;
      const state = await readActiveState(tx, orgId, true);
      const plan = planScan(state, found.detections, now, cfg, unscanned);
      const counts = await applyPlan(tx, orgId, scanId, plan, now, async (req) =>
        prepared.get(keyOf(req.hotspotKey, req.revision)) ?? prepareRecommendations(tx, orgId, req, cfg, null));
      Object.assign(summary, counts);
      summary.timings_ms.write = Math.round(wall() - w3);
      finish();
      const [ours] = await tx`update public.scan_runs set status = 'succeeded', finished_at = now(), cpu_ms = ${summary.cpu_ms},
                      stats = ${JSON.stringify(statsOf())}::text::jsonb where id = ${scanId} and status = 'running' returning id`;
      // Outlived the wall-clock limit and marked abandoned by a later scan: roll back, so only succeeded runs ever wrote.
      if (!ours) throw new Error('this scan run was marked abandoned before it could commit; its writes were rolled back');
      return null;
    });
    if (outcome) {
      summary.status = 'skipped';
      summary.skipped_reason = outcome;
      summary.timings_ms.write = Math.round(wall() - w3);
      finish();
      await sql`update public.scan_runs set status = 'skipped', finished_at = now(), cpu_ms = ${summary.cpu_ms},
                       stats = ${JSON.stringify({ ...statsOf(), skipped_reason: outcome })}::text::jsonb where id = ${scanId} and status = 'running'`;
    }
    return summary;
  } catch (e) {
    finish();
    await sql`update public.scan_runs set status = 'failed', finished_at = now(), cpu_ms = ${summary.cpu_ms},
                     error = ${e instanceof Error ? e.message : String(e)} where id = ${scanId}`.catch(() => {});
    throw e;
  }
}

export function createScanHandler(deps: ScanDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator, or use the service role key.');
    const body = req.headers.get('content-length') === '0' ? {} : await readJsonBody(req, SCAN_MAX_BODY_BYTES).catch((e: unknown) => {
      if (e instanceof HttpError && e.code === 'invalid_json' && /empty/.test(e.message)) return {};
      throw e;
    });
    const parsed = scanRequestSchema.safeParse(body);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const orgId = parsed.data.org_id ?? (caller.kind === 'user' ? soleOrgWith(caller, 'operator') : null);
    if (!orgId) throw validationError([{ path: 'org_id', code: 'invalid_type', message: 'Required: the organisation to scan.' }]);
    requireOrgRole(caller, orgId, 'operator');
    const [org] = await deps.sql`select 1 from public.orgs where id = ${orgId}`;
    if (!org) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
    // Only the service role speaks for the schedule; everyone else is an HTTP scan.
    const trigger: ScanTrigger = caller.kind === 'service' && parsed.data.trigger === 'cron' ? 'cron' : 'http';
    return jsonResponse(await runScan(deps, orgId, trigger));
  }, deps.report);
}
