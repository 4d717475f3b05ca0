/** The hotspot-series request: `{ hotspot_id, hours?, until? }` (contract: HotspotSeriesRequest). */
import { z } from 'zod';

export const SERIES_LIMITS = Object.freeze({
  maxBodyBytes: 4 * 1024,
  /** Longest chart: 7 days of hours. */
  maxHours: 168,
  defaultHours: 48,
  /** How far `until` may lie from now (a year either way). */
  maxUntilDistanceMs: 366 * 86_400_000,
});

const id = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9][0-9]{0,17}$/)], {
  message: 'Must be a positive integer id.',
}).transform((v) => String(v));

export function seriesSchema(now: number) {
  return z.strictObject({
    hotspot_id: id,
    hours: z.number({ message: `Must be a whole number of hours, 1–${SERIES_LIMITS.maxHours}.` }).int().min(1).max(SERIES_LIMITS.maxHours)
      .default(SERIES_LIMITS.defaultHours),
    until: z.iso.datetime({ offset: true, message: 'Must be an ISO 8601 date-time, e.g. 2026-12-06T12:00:00Z.' })
      .transform((s) => Date.parse(s))
      .refine((t) => Math.abs(t - now) <= SERIES_LIMITS.maxUntilDistanceMs, { message: 'Must lie within a year of now.' })
      .optional(),
  });
}

export type ParsedSeriesRequest = z.infer<ReturnType<typeof seriesSchema>>;
