/**
 * ingest-feed: an automated feed (CAD, 311) POSTs batches with its feed key —
 * `Authorization: Bearer hwfk_…` — instead of a user's token or the service key.
 *
 * Deployed with verify_jwt = false (the key is not a JWT; supabase/config.toml,
 * `supabase functions deploy ingest-feed --no-verify-jwt`), so this function is its own
 * gate: a missing, malformed, unknown or revoked key → 401 invalid_key, the same answer
 * for each (the hash comparison is constant-time, _shared/feed-key.ts). A valid key
 * then takes one request from its per-key rate limit (429 rate_limited with
 * Retry-After when empty; rules/rate-limit.ts) before the body is read.
 *
 * After that it is ingest-events exactly — the same pipeline (../ingest-events/ingest.ts):
 * body, validation, limits, outside_area, demo_not_allowed, answer — into the key's org
 * only: `org_id` may be omitted or equal the key's org; another org's id → 403.
 */
import { feedKeyMatches, feedKeyPrefix } from '../_shared/feed-key.ts';
import { HttpError, requireMethod, withErrors, type Handler } from '../_shared/http.ts';
import { createIngest, type IngestDeps } from '../ingest-events/ingest.ts';
import { copyAsService } from '../ingest-events/store/copy-events.ts';
import { gcraFor, retryAfterSeconds } from './rules/rate-limit.ts';
import { admitFeedRequest, findFeedKey, type FeedKeyRow } from './store/feed-keys.ts';

export type IngestFeedDeps = IngestDeps;

const invalidKey = (): HttpError =>
  new HttpError('invalid_key', 'Send a valid, unrevoked feed key as "Authorization: Bearer hwfk_…".');

/** The key's row when the request carries a valid, unrevoked key; 401 otherwise. */
async function authenticate(deps: IngestFeedDeps, req: Request): Promise<FeedKeyRow> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '');
  const key = m?.[1] ?? '';
  const prefix = feedKeyPrefix(key);
  const row = prefix ? await findFeedKey(deps.sql, prefix) : null;
  // Compared even when there is no row (against a dummy), so timing does not tell them apart.
  const matches = await feedKeyMatches(key, row?.key_hash ?? null);
  if (!row || !matches || row.revoked) throw invalidKey();
  return row;
}

export function createIngestFeedHandler(deps: IngestFeedDeps): Handler {
  const ingest = createIngest(deps);
  const { sql } = deps;

  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const key = await authenticate(deps, req);
    const gate = await admitFeedRequest(sql, key.id, gcraFor(key.rate_limit_per_minute));
    if (!gate.admitted) {
      const seconds = retryAfterSeconds(gate.waitMs);
      throw new HttpError('rate_limited', `This feed key is limited to ${key.rate_limit_per_minute} requests a minute; retry after ${seconds} s.`,
        { retry_after_seconds: seconds, limit_per_minute: key.rate_limit_per_minute }, { 'Retry-After': String(seconds) });
    }
    return ingest(req, {
      org: (bodyOrg) => {
        if (bodyOrg !== undefined && bodyOrg.toLowerCase() !== key.org_id) {
          throw new HttpError('forbidden', 'This feed key ingests into its own organisation only.', { org_id: bodyOrg });
        }
        return key.org_id;
      },
      insert: (orgId, slices) => copyAsService(sql, orgId, slices),
    });
  }, deps.report);
}
