/**
 * An org's settings as stored in public.org_settings (migrations/20261206001000_org_settings.sql)
 * and their defaults, which reproduce the behaviour before settings existed. The scan
 * reads them; the org-settings function writes them. The SQL column defaults mirror
 * these (tests/integration/functions/org-settings.test.ts checks they agree).
 */
import type { CategorySetting, ScanSettings } from './contract.ts';

/** GeoJSON geometry as stored (validated by functions/_shared/geojson.ts). */
export type Position = [number, number];
export type Ring = Position[];
export type PolygonCoords = Ring[];
export type AreaGeometry =
  | { type: 'Polygon'; coordinates: PolygonCoords }
  | { type: 'MultiPolygon'; coordinates: PolygonCoords[] };

/** A named district (GeoJSON Feature). */
export interface DistrictFeature {
  type: 'Feature';
  id?: string | number;
  properties: { name: string; [key: string]: unknown };
  geometry: AreaGeometry;
}

/** An event category key (events.category's check constraint), and the words for its rule. */
export const CATEGORY_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const CATEGORY_RULE = 'Lowercase letters, digits and _; starts with a letter; at most 63 characters.';

// The category and threshold shapes are part of the functions' contract (the dashboard edits them).
export type { CategorySetting, ScanSettings } from './contract.ts';

export const DEFAULT_SCAN_SETTINGS: Readonly<ScanSettings> = Object.freeze({
  scheduled: true,
  max_window_hours: 6,
  min_cases: 2,
  severity_days: Object.freeze({ low: 7, medium: 30, high: 100, critical: 365 }),
  max_history_days: 28,
  max_ring_k: 3,
  max_clusters_per_category: 10,
  resolve_after_quiet_hours: 2,
  fire_after_detections: 2,
  confirm_spacing_seconds: 50,
  fire_immediately_at: 'high',
  growth_factor: 0.25,
  min_growth_cases: 3,
  recommendations_per_alert: 3,
});

export const DEFAULT_CATEGORIES: ReadonlyArray<Readonly<CategorySetting>> = Object.freeze([
  { key: 'fire', label: 'fire', colour: '#d62728', enabled: true },
  { key: 'flood', label: 'flooding', colour: '#1f77b4', enabled: true },
  { key: 'traffic', label: 'traffic collision', colour: '#ff7f0e', enabled: true },
  { key: 'crime', label: 'crime', colour: '#9467bd', enabled: true },
  { key: 'medical', label: 'medical emergency', colour: '#e377c2', enabled: true },
  { key: 'infrastructure', label: 'infrastructure failure', colour: '#8c564b', enabled: true },
  { key: 'air_quality', label: 'air quality', colour: '#7f7f7f', enabled: true },
  { key: 'public_disorder', label: 'public disorder', colour: '#bcbd22', enabled: true },
].map((c) => Object.freeze(c)));

export const DEFAULT_TIME_ZONE = 'UTC';

/** The res-8 cells of the area and the districts are H3 resolution 8 (the count cube's). */
export const SETTINGS_H3_RESOLUTION = 8;

/** What the scan reads of an org's settings. */
export interface OrgScanSettings {
  /** Res-8 cells of the area; null = no area (every cell with events is monitored). */
  areaCells: ReadonlySet<string> | null;
  districts: DistrictFeature[];
  timeZone: string;
  categories: CategorySetting[];
  scan: ScanSettings;
}

export const DEFAULT_ORG_SCAN_SETTINGS: Readonly<OrgScanSettings> = Object.freeze({
  areaCells: null, districts: [], timeZone: DEFAULT_TIME_ZONE, categories: [...DEFAULT_CATEGORIES], scan: DEFAULT_SCAN_SETTINGS,
});
