/**
 * DashboardApi on the client SDK (@hotwatch/client) and supabase-js: the streams and
 * function helpers come from the SDK; scan runs, playbooks and org names are plain
 * REST reads under RLS.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { createHotwatch } from '@hotwatch/client';
import type { PlaybookRecord } from '@hotwatch/client';
import type { DashboardApi, IngestSummary, OrgRef, PlaybookCatalogue, PlaybookRef, ScanRun, ScanSummary, StreamName, StreamRows } from './api.ts';
import { loadHotspotSeries } from './hotspot-series-api.ts';
import type { ConnectionStatus } from './types.ts';

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Count from a summary field that may be a number or a list. */
function countOf(v: unknown): number | null {
  if (Array.isArray(v)) return v.length;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const parts = ['new', 'created', 'inserted', 'updated', 'upserted', 'total', 'count'].map((k) => num(o[k])).filter((x): x is number => x !== null);
    if (parts.length) return num(o.total) ?? num(o.count) ?? parts.reduce((a, b) => a + b, 0);
  }
  return num(v);
}

/** The scan function's JSON summary, read defensively (one org's summary, or the first of several). */
export function toScanSummary(raw: unknown): ScanSummary {
  let o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (Array.isArray(o.results) && o.results[0] && typeof o.results[0] === 'object') o = o.results[0] as Record<string, unknown>;
  const run = (o.scan_run && typeof o.scan_run === 'object' ? o.scan_run : o.run && typeof o.run === 'object' ? o.run : {}) as Record<string, unknown>;
  return {
    scanId: num(o.scan_id) ?? num(o.scanId) ?? num(run.id),
    status: typeof o.status === 'string' ? o.status : typeof run.status === 'string' ? run.status : 'done',
    hotspots: countOf(o.hotspots),
    alerts: countOf(o.alerts),
    recommendations: countOf(o.recommendations),
    raw,
  };
}

export function createSdkApi(supabase: SupabaseClient): DashboardApi {
  const hw = createHotwatch(supabase, { transport: 'postgres_changes' });
  return {
    subscribe<K extends StreamName>(stream: K, orgId: string, handler: (ev: { type: 'upsert'; row: StreamRows[K] } | { type: 'removed'; id: number }) => void) {
      return hw.subscribe(stream, (ev) => {
        if (ev.type === 'upsert') handler({ type: 'upsert', row: ev.row as StreamRows[K] });
        else if (ev.type === 'removed') handler({ type: 'removed', id: ev.id });
      }, { orgId });
    },
    status: (): ConnectionStatus => hw.status,
    onStatus: (cb) => hw.onStatus(cb),
    async approve(id, reason) { await hw.approve(id, reason); },
    async reject(id, reason) { await hw.reject(id, reason); },
    async acknowledgeAlert(id) { await hw.acknowledgeAlert(id); },
    async resolveAlert(id) { await hw.resolveAlert(id); },
    async triggerScan(orgId) { return toScanSummary(await hw.triggerScan(orgId)); },
    async ingest(orgId, events): Promise<IngestSummary> {
      const r = await hw.ingest(orgId, events);
      return { accepted: r.accepted, duplicate: r.duplicate, rejected: r.rejected };
    },
    async scanRun(id): Promise<ScanRun | null> {
      const { data, error } = await supabase.from('scan_runs').select('id, trigger, status, started_at, finished_at, cpu_ms').eq('id', id).maybeSingle();
      if (error) throw new Error(error.message);
      return data as ScanRun | null;
    },
    hotspotSeries: (hotspotId, hours) => loadHotspotSeries(supabase, hotspotId, hours),
    async playbooks(ids): Promise<PlaybookRef[]> {
      const { data, error } = await supabase.from('playbooks').select('id, slug, title, summary').in('id', [...ids]);
      if (error) throw new Error(error.message);
      return (data ?? []) as PlaybookRef[];
    },
    async orgs(ids): Promise<OrgRef[]> {
      const { data, error } = await supabase.from('orgs').select('id, name, slug, is_demo').in('id', [...ids]);
      if (error) throw new Error(error.message);
      return (data ?? []) as OrgRef[];
    },
    async playbookCatalogue(orgId): Promise<PlaybookCatalogue> {
      const cols = 'id, org_id, slug, title, category, tags, severities, summary, body, steps, status, created_at, updated_at, updated_by';
      const [pbs, hidden] = await Promise.all([
        supabase.from('playbooks').select(cols).or(`org_id.is.null,org_id.eq.${orgId}`).order('category').order('title'),
        supabase.from('playbook_hidden').select('playbook_id').eq('org_id', orgId),
      ]);
      if (pbs.error) throw new Error(pbs.error.message);
      if (hidden.error) throw new Error(hidden.error.message);
      const rows = (pbs.data ?? []) as PlaybookRecord[];
      return {
        own: rows.filter((p) => p.org_id === orgId),
        shared: rows.filter((p) => p.org_id === null),
        hidden: new Set((hidden.data ?? []).map((r: { playbook_id: string }) => r.playbook_id)),
      };
    },
    managePlaybook: (req) => hw.managePlaybook(req),
    onPlaybooksChange(cb) {
      // RLS decides which changes arrive; the page reloads its lists on any of them.
      const channel = supabase.channel(`playbooks-admin-${Math.random().toString(36).slice(2)}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: 'playbooks' }, () => cb())
        .on('postgres_changes', { event: '*', schema: 'public', table: 'playbook_hidden' }, () => cb())
        .subscribe();
      return () => { void supabase.removeChannel(channel); };
    },
    async close() {
      await hw.close();
    },
  };
}
