/**
 * The hotspot chart's data: the `hotspot-series` function (supabase-js
 * `functions.invoke`) answers a hotspot's cells hour by hour — observed events, the
 * scan's expected count and its 95 % Poisson band — read under the caller's RLS. Only
 * hourly counts reach the page, never events.
 */
import type { HotspotSeriesPoint, HotspotSeriesResult } from '@hotwatch/client';
import type { SupabaseClient } from '@supabase/supabase-js';
import { invokeFunction } from './function-call.ts';

export type HotspotSeries = HotspotSeriesResult;
export type HotspotSeriesHour = HotspotSeriesPoint;

/** The chart's two ranges (the toggle). */
export const SERIES_RANGES = [
  { hours: 48, label: '48 hours' },
  { hours: 168, label: '7 days' },
] as const;

export function loadHotspotSeries(supabase: SupabaseClient, hotspotId: number, hours: number): Promise<HotspotSeries> {
  return invokeFunction<HotspotSeries>(supabase, 'hotspot-series', { hotspot_id: hotspotId, hours });
}

/** Whether an hour lies in the cluster's window [window_start, window_end). */
export function inWindow(s: Pick<HotspotSeries, 'window_start' | 'window_end'>, p: Pick<HotspotSeriesPoint, 't'>): boolean {
  const t = Date.parse(p.t);
  return t >= Date.parse(s.window_start) && t < Date.parse(s.window_end);
}
