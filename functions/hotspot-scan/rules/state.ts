/** What the scan knows about an org's active streams, and what it detected. */
import type { AlertState, HotspotStatus, Severity } from '../../_shared/vocabulary.ts';

/** A detected cluster, already geometrically described (the engine's output + place). */
export interface Detection {
  category: string;
  model: string;
  severity: Severity;
  cells: string[];
  centerCell: string;
  centerLat: number;
  centerLng: number;
  radiusM: number;
  windowStart: number;
  windowEnd: number;
  observed: number;
  expected: number;
  relativeRisk: number;
  score: number;
  pValue: number;
  recurrenceIntervalDays: number;
}

export interface HotspotRow {
  id: number;
  category: string;
  dedupKey: string;
  status: HotspotStatus;
  severity: Severity;
  cells: string[];
  observed: number;
  expected: number;
  windowStart: number;
  windowEnd: number;
  pValue: number;
  quietScans: number;
  lastDetectedAt: number;
}

export interface AlertRow {
  id: number;
  hotspotId: number;
  dedupKey: string;
  category: string;
  severity: Severity;
  state: AlertState;
  consecutiveDetections: number;
  notifyCount: number;
  notifiedObserved: number | null;
  notifiedCells: number | null;
  notifiedSeverity: Severity | null;
  lastNotifiedAt: number | null;
  /** Manually resolved (resolved_by set) — matters only for an alert's successor. */
  resolvedManually: boolean;
  updatedAt: number;
}

export interface ActiveState {
  hotspots: HotspotRow[];
  /** Alerts not resolved, for the active hotspots. */
  alerts: AlertRow[];
  /** The latest resolved alert of each active hotspot that has no unresolved alert. */
  lastResolvedAlerts: AlertRow[];
}
