/**
 * feed-keys: an org's admins create and revoke the keys their automated feeds ingest
 * with (ingest-feed). A key is shown once, in the answer to `create`; the database
 * keeps its SHA-256 only (_shared/feed-key.ts, migrations/…_feed_keys.sql). The list
 * (names, prefixes, last use, revocation) is read over REST under RLS (admins only).
 *
 * A function of its own rather than more actions on org-settings: a key is a resource
 * with its own life (create → use → revoke), not a field of the settings record, and
 * this keeps the one place that mints secrets small.
 *
 * Callers: an admin of the org (or the service role, audited with no actor). Viewer or
 * operator → 403; a user of another org → 404 (neither the org nor the key is
 * revealed); anon → 401. Each change and its audit_log row commit together; the audit
 * row names the key by prefix, never the key.
 */
import type { Sql } from 'postgres';
import { auditActor, writeAudit } from '../_shared/audit.ts';
import { callerFromRequest, canSeeOrg, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import type { FeedKeyCreated, FeedKeyRevoked } from '../_shared/contract.ts';
import { generateFeedKey } from '../_shared/feed-key.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { DEFAULT_FEED_RATE_PER_MINUTE, FEED_KEYS_MAX_BODY_BYTES, feedKeyRequestSchema, type FeedKeyRequestParsed } from './schema.ts';
import { findFeedKeyOrg, insertFeedKey, orgExists, lockFeedKey, revokeFeedKey } from './store/feed-keys.ts';

export interface FeedKeysDeps {
  sql: Sql;
  report?: ErrorReporter;
}

type Create = Extract<FeedKeyRequestParsed, { action: 'create' }>;

async function create(sql: Sql, caller: Caller, r: Create): Promise<FeedKeyCreated> {
  requireOrgRole(caller, r.org_id, 'admin');
  const minted = await generateFeedKey();
  return sql.begin(async (tx) => {
    if (!await orgExists(tx, r.org_id)) throw new HttpError('org_not_found', 'No such organisation.', { org_id: r.org_id });
    const perMinute = r.rate_limit_per_minute ?? DEFAULT_FEED_RATE_PER_MINUTE;
    const feedKey = await insertFeedKey(tx, { orgId: r.org_id, name: r.name, prefix: minted.prefix, hash: minted.hash, perMinute, actor: auditActor(caller) });
    if (!feedKey) {
      throw new HttpError('conflict', `The organisation already has an active feed key named "${r.name}"; choose another name or revoke that key.`,
        { errors: [{ path: 'name', code: 'conflict', message: 'An active key of the organisation has this name.' }] });
    }
    await writeAudit(tx, caller, {
      orgId: r.org_id, action: 'feed_key.create', targetType: 'feed_key', targetId: feedKey.id,
      before: null, after: { name: feedKey.name, key_prefix: feedKey.key_prefix, rate_limit_per_minute: feedKey.rate_limit_per_minute },
    });
    return { feed_key: feedKey, key: minted.key };
  });
}

async function revoke(sql: Sql, caller: Caller, id: string): Promise<FeedKeyRevoked> {
  const orgId = await findFeedKeyOrg(sql, id);
  if (!orgId || !canSeeOrg(caller, orgId)) throw new HttpError('not_found', 'No such feed key.', { id });
  requireOrgRole(caller, orgId, 'admin');
  return sql.begin(async (tx) => {
    const before = await lockFeedKey(tx, id);
    if (!before) throw new HttpError('not_found', 'No such feed key.', { id });
    if (before.revoked_at !== null) return { feed_key: before, changed: false };
    const feedKey = await revokeFeedKey(tx, id, auditActor(caller));
    await writeAudit(tx, caller, {
      orgId, action: 'feed_key.revoke', targetType: 'feed_key', targetId: id,
      before: { name: before.name, key_prefix: before.key_prefix, revoked_at: null },
      after: { name: feedKey.name, key_prefix: feedKey.key_prefix, revoked_at: new Date(feedKey.revoked_at!).toISOString() },
    });
    return { feed_key: feedKey, changed: true };
  });
}

export function createFeedKeysHandler(deps: FeedKeysDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an admin of the organisation to manage its feed keys.');
    const parsed = feedKeyRequestSchema.safeParse(await readJsonBody(req, FEED_KEYS_MAX_BODY_BYTES));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const r = parsed.data;
    switch (r.action) {
      case 'create': return jsonResponse(await create(deps.sql, caller, r), 201);
      case 'revoke': return jsonResponse(await revoke(deps.sql, caller, r.id));
    }
  }, deps.report);
}
