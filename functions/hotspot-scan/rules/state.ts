/** What the scan knows about an org's active streams, and what it detected. */
import type { HotspotStatus, Severity } from '../../_shared/vocabulary.ts';
import type { AlertSnapshot } from './alert-machine.ts';

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

/** An active alert: what the state machine reads (its snapshot, counted from `updatedAt`) and its identity. */
export interface AlertRow extends Omit<AlertSnapshot, 'lastCountedAt'> {
  id: number;
  hotspotId: number;
  dedupKey: string;
  category: string;
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
