/**
 * One prospective scan of one org, as it reads: read → detect → plan → retrieve → write.
 * The org's settings (org_settings) give its thresholds, area, time zone and categories.
 *
 *  - read: the org's scan news, the count cube and the active hotspots/alerts (no transaction);
 *  - detect: the engine per category — the expensive part, outside any transaction;
 *  - plan: the hotspot, alert and recommendation changes (pure, rules/plan.ts);
 *  - retrieve: playbooks (and optionally phrased rationales) for the alerts the plan
 *    will fire or escalate, before the transaction;
 *  - write: one short transaction — claim the org (store/scan-runs.ts: advisory lock,
 *    no newer run), re-read the active rows under lock, re-plan (cheap) and write
 *    with dedup-key upserts; the news it read is consumed and the run is marked
 *    succeeded in the same transaction (the schedule scans orgs with news: dispatch.ts).
 *
 * The run's bookkeeping (running → succeeded | skipped | failed, abandoned runs) is
 * store/scan-runs.ts; timings and CPU time are measured per phase for the answer.
 */
import type { Sql } from 'postgres';
import type { ScanResult, ScanTrigger } from '../_shared/contract.ts';
import type { ErrorReporter } from '../_shared/http.ts';
import type { Phraser } from './llm.ts';
import { prepareRecommendations, recommendationKey } from './retrieve.ts';
import { configFromSettings, DEFAULT_SCAN_CONFIG, type ScanConfig } from './rules/config.ts';
import { detect, restrictToArea, type ScanEngine } from './rules/detect.ts';
import { planScan } from './rules/plan.ts';
import { historyFloor, scanParameters, scanWindow } from './rules/window.ts';
import { orgCreatedAt, readActiveState, readCube, readOrgSettings } from './store/read.ts';
import { consumeNews, seeNews } from './store/news.ts';
import { claimWrite, markFailed, markSkipped, markSucceeded, startRun } from './store/scan-runs.ts';
import { applyPlan, emptyCounts, type PreparedRecommendation } from './store/write.ts';

export interface ScanDeps {
  sql: Sql;
  engine: ScanEngine;
  /** Epoch ms (tests pin it). */
  now?: () => number;
  /** Process CPU time in ms (Deno/Node: process.cpuUsage); falls back to wall time. */
  cpuMs?: () => number;
  /** Overrides of the org's settings (tests, benchmarks). */
  config?: Partial<ScanConfig>;
  phraser?: Phraser | null;
  report?: ErrorReporter;
}

/** Wall and CPU time since the scan began, and the phase timings of the answer. */
function stopwatch(cpu: () => number) {
  const wall = (): number => performance.now();
  const cpu0 = cpu();
  const w0 = wall();
  let mark = w0;
  return {
    /** ms since the previous lap (or the start). */
    lap(): number {
      const t = wall();
      const ms = Math.round(t - mark);
      mark = t;
      return ms;
    },
    total: (): number => Math.round(wall() - w0),
    cpu: (): number => Math.round(cpu() - cpu0),
  };
}

/** The run's stats as recorded in scan_runs: the answer without its identity. */
function statsOf(r: ScanResult): Record<string, unknown> {
  const { scan_id: _s, org_id: _o, trigger: _t, status: _st, cpu_ms: _c, ...rest } = r;
  return rest;
}

export async function runScan(deps: ScanDeps, orgId: string, trigger: ScanTrigger): Promise<ScanResult> {
  const { sql, engine } = deps;
  // Defaults, then the org's settings, then the caller's overrides.
  const settings = await readOrgSettings(sql, orgId);
  const cfg: ScanConfig = { ...DEFAULT_SCAN_CONFIG, ...configFromSettings(settings.scan), ...deps.config };
  const disabled = new Set(settings.categories.filter((c) => !c.enabled).map((c) => c.key));
  const phraser = deps.phraser ?? null;
  const time = stopwatch(deps.cpuMs ?? (() => performance.now()));
  const w = scanWindow((deps.now ?? Date.now)(), cfg);
  const { now } = w;

  const scanId = await startRun(sql, orgId, trigger, scanParameters(cfg, now, phraser ? phraser.model : null), cfg.abandonedRunAfterMs);
  const result: ScanResult = {
    scan_id: scanId, org_id: orgId, trigger, status: 'succeeded', ...emptyCounts(), detections: 0, cube_rows: 0,
    categories: {}, failed_categories: {}, timings_ms: { read: 0, compute: 0, retrieve: 0, write: 0, total: 0 }, cpu_ms: 0,
  };
  const finish = (): void => {
    result.timings_ms.total = time.total();
    result.cpu_ms = time.cpu();
  };

  try {
    // read
    const created = await orgCreatedAt(sql, orgId);
    // The news committed before the cube read is what this scan consumes if it commits.
    const news = await seeNews(sql, orgId);
    const cube = await readCube(sql, orgId, w.readFrom, w.end, w.studyStart);
    const state0 = await readActiveState(sql, orgId, false);
    result.cube_rows = cube.rows;
    result.timings_ms.read = time.lap();

    // detect
    const cubes = restrictToArea(cube.cubes, settings.areaCells, w.studyStart);
    const found = detect(cubes, { now, historyFloor: historyFloor(w, created, cfg.bucketMs), cfg, engine, timeZone: settings.timeZone, disabled });
    result.detections = found.detections.length;
    result.categories = found.categories;
    result.failed_categories = found.failed;
    const unscanned = new Set(Object.keys(found.failed));
    result.timings_ms.compute = time.lap();

    // plan + retrieve: playbooks for the alerts this scan will (most likely) fire or
    // escalate, fetched before the transaction; a request the re-plan adds under lock
    // is fetched there (without phrasing).
    const prepared = new Map<string, PreparedRecommendation[]>();
    const words = { districts: settings.districts, categories: settings.categories, timeZone: settings.timeZone };
    for (const req of planScan(state0, found.detections, now, cfg, unscanned, words).recommendations) {
      prepared.set(recommendationKey(req), await prepareRecommendations(sql, orgId, req, cfg, phraser));
    }
    result.timings_ms.retrieve = time.lap();

    // write
    const skipped = await sql.begin(async (tx) => {
      const why = await claimWrite(tx, orgId, scanId, now);
      if (why) return why;
      const plan = planScan(await readActiveState(tx, orgId, true), found.detections, now, cfg, unscanned, words);
      Object.assign(result, await applyPlan(tx, orgId, scanId, plan, now, async (req) =>
        prepared.get(recommendationKey(req)) ?? prepareRecommendations(tx, orgId, req, cfg, null)));
      result.timings_ms.write = time.lap();
      await consumeNews(tx, orgId, scanId, news);
      finish();
      await markSucceeded(tx, scanId, result.cpu_ms, statsOf(result));
      return null;
    });
    if (skipped) {
      result.status = 'skipped';
      result.skipped_reason = skipped;
      result.timings_ms.write = time.lap();
      finish();
      await markSkipped(sql, scanId, result.cpu_ms, { ...statsOf(result), skipped_reason: skipped });
    }
    return result;
  } catch (e) {
    finish();
    await markFailed(sql, scanId, result.cpu_ms, e);
    throw e;
  }
}
