/**
 * The ingest request: `{ org_id?, events: [...], atomic? }`, validated with zod.
 *
 * The envelope is checked first (400 with per-field errors, 413 when too many
 * events); each event is then checked on its own, so one bad item is reported by
 * index without hiding the others. Text that PostgreSQL would refuse at insert time
 * (NUL characters, unpaired surrogates inside `attributes`) is refused here, so a batch
 * that passes validation cannot fail in the database and take its good rows with it.
 */
import { z } from 'zod';
import { CATEGORY_PATTERN, CATEGORY_RULE } from '../_shared/org-settings.ts';

/** Smallest positive normal float4 (PostgreSQL `real`). */
const FLOAT4_MIN_NORMAL = 1.1754943508222875e-38;

/** Named limits with their defaults (docs/functions.md "ingest-events"). */
export interface IngestLimits {
  /** Events per request (413 above). */
  maxEvents: number;
  /** Request body size in bytes (413 above). */
  maxBodyBytes: number;
  /** How far in the future `occurred_at` may be (clock skew between sources). */
  maxFutureSkewMs: number;
  /** Serialized size of one event's `attributes`. */
  maxAttributesBytes: number;
  /** Per-item errors listed in one response (the counts are always complete). */
  maxReportedErrors: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxEvents: 10_000,
  maxBodyBytes: 10 * 1024 * 1024,
  maxFutureSkewMs: 5 * 60_000,
  maxAttributesBytes: 4096,
  maxReportedErrors: 1000,
});

/** Events older than this are refused (PostgreSQL has no year 0; nothing real predates it). */
export const MIN_OCCURRED_AT_MS = Date.UTC(1970, 0, 1);

export { CATEGORY_PATTERN } from '../_shared/org-settings.ts';

// NUL is not storable in text; an unpaired surrogate cannot be encoded as UTF-8.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// The same two problems as JSON.stringify writes them (an odd run of backslashes = a real escape).
const UNSTORABLE_JSON = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

const text = (min: number, max: number) =>
  z.string().min(min).max(max).refine((s) => !UNSTORABLE_TEXT.test(s), { message: 'Contains a NUL character or an unpaired surrogate.' });

export const envelopeSchema = z.strictObject({
  org_id: z.guid({ message: 'Must be an organisation id (uuid).' }).optional(),
  events: z.array(z.unknown(), { message: 'Must be an array of events.' }),
  atomic: z.boolean().optional(),
});

export function eventSchema(nowMs: number, limits: IngestLimits) {
  const latest = nowMs + limits.maxFutureSkewMs;
  return z.strictObject({
    source: text(1, 100),
    external_id: text(1, 200),
    category: z.string().regex(CATEGORY_PATTERN, { message: CATEGORY_RULE }),
    occurred_at: z.iso.datetime({ offset: true, message: 'An ISO 8601 timestamp with a time zone, e.g. 2026-11-26T09:30:00Z.' })
      .superRefine((s, ctx) => {
        const t = Date.parse(s);
        if (t < MIN_OCCURRED_AT_MS) ctx.addIssue({ code: 'custom', message: 'Must not be before 1970-01-01.' });
        else if (t > latest) ctx.addIssue({ code: 'custom', message: `Must not be more than ${limits.maxFutureSkewMs / 1000} s in the future.` });
      }),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    // Stored as real (float4): a positive weight below its normal range would underflow in
    // PostgreSQL (22003) and fail the whole batch, so it is refused per item instead.
    weight: z.number().min(0).max(1_000_000)
      .refine((w) => w === 0 || w >= FLOAT4_MIN_NORMAL, { message: 'Must be 0 or at least 1.2e-38 (stored as a 4-byte float).' })
      .optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  });
}
export type IngestEvent = z.infer<ReturnType<typeof eventSchema>>;

/**
 * `attributes` serialized once for both checks and the insert; an error message when
 * it is too large or not storable, else the JSON text.
 */
export function serializeAttributes(attributes: Record<string, unknown> | undefined, limits: IngestLimits): { json: string } | { error: string } {
  if (attributes === undefined) return { json: '{}' };
  const json = JSON.stringify(attributes);
  if (json.length > limits.maxAttributesBytes) return { error: `Serialized attributes must be at most ${limits.maxAttributesBytes} characters.` };
  if (UNSTORABLE_JSON.test(json)) return { error: 'Contains a NUL character or an unpaired surrogate.' };
  return { json };
}
