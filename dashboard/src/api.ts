/**
 * What the panels need from the backend: the three live streams, the connection
 * status, the decision helpers and the two function calls. The page implements it
 * with the client SDK (sdk-api.ts); keeping the panels on this narrow interface keeps
 * each of them small and lets a test drive them with plain data.
 */
import type { PlaybookRecord, PlaybookRequest, PlaybookResult } from '@hotwatch/client';
import type { DemoEvent } from './demo-data.ts';
import type { HotspotSeries } from './hotspot-series-api.ts';
import type { Alert, ConnectionStatus, Hotspot, Recommendation } from './types.ts';

export interface StreamRows {
  hotspots: Hotspot;
  alerts: Alert;
  recommendations: Recommendation;
}
export type StreamName = keyof StreamRows;

export type RowEvent<T> = { type: 'upsert'; row: T } | { type: 'removed'; id: number };

export interface IngestSummary {
  accepted: number;
  duplicate: number;
  rejected: number;
}

/** The scan function's answer, as far as the page shows it (the rest is kept for the console). */
export interface ScanSummary {
  scanId: number | null;
  status: string;
  hotspots: number | null;
  alerts: number | null;
  recommendations: number | null;
  raw: unknown;
}

export interface ScanRun {
  id: number;
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  cpu_ms: number | null;
}

export interface PlaybookRef {
  id: string;
  slug: string;
  title: string;
  summary: string;
}

/** What the Playbooks page lists: the org's own playbooks, the global ones, and which of those the org hides. */
export interface PlaybookCatalogue {
  own: PlaybookRecord[];
  shared: PlaybookRecord[];
  hidden: ReadonlySet<string>;
}

export interface OrgRef {
  id: string;
  name: string;
  slug: string;
  /** A demo org: "Run demo" is offered, and ingest accepts the demo generator's events only here. */
  is_demo: boolean;
}

export interface DashboardApi {
  subscribe<K extends StreamName>(stream: K, orgId: string, handler: (ev: RowEvent<StreamRows[K]>) => void): () => void;
  status(): ConnectionStatus;
  onStatus(cb: (s: ConnectionStatus) => void): () => void;
  approve(id: number, reason?: string): Promise<void>;
  reject(id: number, reason: string): Promise<void>;
  acknowledgeAlert(id: number): Promise<void>;
  resolveAlert(id: number): Promise<void>;
  triggerScan(orgId: string): Promise<ScanSummary>;
  ingest(orgId: string, events: DemoEvent[]): Promise<IngestSummary>;
  scanRun(id: number): Promise<ScanRun | null>;
  /** A hotspot's cells hour by hour against the scan's expected counts (the hotspot-series function). */
  hotspotSeries(hotspotId: number, hours: number): Promise<HotspotSeries>;
  playbooks(ids: readonly string[]): Promise<PlaybookRef[]>;
  orgs(ids: readonly string[]): Promise<OrgRef[]>;
  /** The Playbooks page: a REST read under RLS, the playbooks function, and a change feed (Realtime). */
  playbookCatalogue(orgId: string): Promise<PlaybookCatalogue>;
  managePlaybook(req: PlaybookRequest): Promise<PlaybookResult>;
  onPlaybooksChange(cb: () => void): () => void;
  close(): Promise<void>;
}

/** A failed call, with a message fit for the page and the stable error code when the server sent one. */
export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly status?: number,
    /** A function's field errors (`details.errors[]`), for pages that show each beside its control. */
    readonly fields: ReadonlyArray<{ path: string; message: string }> = []) {
    super(message);
    this.name = 'ApiError';
  }
}
