/**
 * The org's settings for the dashboard: a REST read of public.org_settings under RLS
 * (members read their org's row), changes through the `org-settings` edge function
 * (admins; partial updates, field errors as `ApiError.fields`), and a Realtime feed
 * of changes so an open board follows another admin's edit.
 *
 * A change notice triggers a REST re-read rather than trusting the payload: an UPDATE
 * that leaves a large (TOASTed) jsonb column unchanged does not carry it in the WAL, and
 * Realtime trims an oversized record (Error 413), so the payload is not always whole.
 * The area's cells are not in this row at all (public.org_area_cells, unpublished).
 */
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import type { CategorySetting, OrgSettingsResult, OrgSettingsUpdateRequest, ScanSettings } from '@hotwatch/client';
import { ApiError } from './api.ts';
import { invokeFunction } from './function-call.ts';

/** A district as stored: a GeoJSON Feature with a name. */
export interface DistrictFeature {
  type: 'Feature';
  properties: { name: string };
  geometry: unknown;
}

export interface OrgSettings {
  org_id: string;
  area: unknown;
  districts: DistrictFeature[];
  time_zone: string;
  categories: CategorySetting[];
  scan: ScanSettings;
  /** Days raw events are kept; null keeps them forever. */
  retention_days: number | null;
  updated_at: string;
}

export type { CategorySetting, ScanSettings };
export type SettingsUpdate = Omit<OrgSettingsUpdateRequest, 'action' | 'org_id'>;

export interface SettingsApi {
  read(orgId: string): Promise<OrgSettings>;
  update(orgId: string, fields: SettingsUpdate): Promise<OrgSettingsResult>;
  /** Calls `cb` after each change to the org's settings row, and after (re)joining — the page re-reads. */
  onChange(orgId: string, cb: () => void): () => void;
}

const COLUMNS = 'org_id, area, districts, time_zone, categories, scan, retention_days, updated_at';

export function createSettingsApi(supabase: SupabaseClient): SettingsApi {
  return {
    async read(orgId) {
      const { data, error } = await supabase.from('org_settings').select(COLUMNS).eq('org_id', orgId).maybeSingle();
      if (error) throw new ApiError(error.message, error.code);
      if (!data) throw new ApiError('No settings for this organisation.', 'not_found');
      return data as unknown as OrgSettings;
    },
    update: (orgId, fields) => invokeFunction<OrgSettingsResult>(supabase, 'org-settings', { action: 'update', org_id: orgId, ...fields }),
    onChange(orgId, cb) {
      // RLS decides who receives the change; the filter keeps it to this org's row.
      const channel: RealtimeChannel = supabase.channel(`org-settings-${orgId}-${Math.random().toString(36).slice(2)}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: 'org_settings', filter: `org_id=eq.${orgId}` }, () => cb())
        .subscribe((status) => { if (status === 'SUBSCRIBED') cb(); });
      return () => { void supabase.removeChannel(channel); };
    },
  };
}
