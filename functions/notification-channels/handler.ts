/**
 * notification-channels: an org's admins create, update, delete and test notification
 * channels, and re-send a dead notification (docs/functions.md "Notifications").
 *
 * Callers: a signed-in admin of the channel's org (or the service role). A viewer or
 * operator → 403; a user of another org → 404 (the channel's existence is not
 * revealed); anon → 401. A target on a private, loopback or link-local address is a
 * field error unless the project allows such targets. Every change writes its
 * audit_log row in the change's transaction (store.ts).
 */
import type { Sql } from 'postgres';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, canSeeOrg, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type FieldError, type Handler } from '../_shared/http.ts';
import { channelKind } from '../_shared/notifications/kinds.ts';
import { sendAttempt, type SendDeps } from '../_shared/notifications/send.ts';
import { generateSecret } from '../_shared/notifications/signature.ts';
import { encodeStoredSecret, parseStoredSecret } from '../_shared/notifications/stored-secret.ts';
import { addressLiteral, checkTarget, parseTargetUrl } from '../_shared/notifications/target.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { CHANNELS_MAX_BODY_BYTES, channelRequestSchema, type ChannelRequest } from './schema.ts';
import { testNotification } from './test-notification.ts';
import {
  channelSecret, deleteChannel, findChannel, findOutboxRow, insertChannel, isUniqueViolation, requeue, updateChannel,
} from './store/channels.ts';

export interface ChannelsDeps extends SendDeps {
  sql: Sql;
  alertUrl: (alertId: string) => string;
  report?: ErrorReporter;
}

/** Check a receiver URL; its origin (for display) or a field error on `url`. */
async function checkUrl(raw: string, deps: ChannelsDeps): Promise<string> {
  const parsed = parseTargetUrl(raw);
  if (!parsed.ok) throw validationError([{ path: 'url', code: parsed.code, message: parsed.message }]);
  const literal = addressLiteral(parsed.host);
  const addresses = literal ? [literal] : await deps.resolveHost(parsed.host).catch(() => []);
  const decision = checkTarget(parsed.host, addresses, deps.allowPrivateTargets);
  if (!decision.ok) throw validationError([{ path: 'url', code: decision.code, message: decision.message }]);
  return parsed.url.origin;
}

function duplicateName(e: unknown): never {
  if (isUniqueViolation(e)) {
    const err: FieldError = { path: 'name', code: 'duplicate', message: 'The org already has a channel with this name.' };
    throw validationError([err]);
  }
  throw e;
}

async function channelFor(deps: ChannelsDeps, caller: Caller, id: string) {
  const row = await findChannel(deps.sql, id);
  if (!row || !canSeeOrg(caller, row.org_id)) throw new HttpError('channel_not_found', 'No such channel.', { channel_id: id });
  requireOrgRole(caller, row.org_id, 'admin');
  return row;
}

async function handle(deps: ChannelsDeps, caller: Caller, d: ChannelRequest): Promise<Response> {
  switch (d.action) {
    case 'create': {
      requireOrgRole(caller, d.org_id, 'admin');
      const target = await checkUrl(d.url, deps);
      const secret = d.secret ?? generateSecret();
      const channel = await insertChannel(deps.sql, caller, {
        orgId: d.org_id, kind: d.kind, name: d.name, url: d.url, target, secret, rule: d.rule ?? {}, enabled: d.enabled ?? true, createdBy: caller.userId,
      }).catch(duplicateName);
      // The generated secret is shown this once; a given one is never echoed.
      return jsonResponse({ channel, ...(d.secret === undefined ? { secret } : {}) }, 201);
    }
    case 'update': {
      const current = await channelFor(deps, caller, d.channel_id);
      const target = d.url === undefined ? undefined : await checkUrl(d.url, deps);
      let stored: string | undefined;
      if (d.url !== undefined || d.secret !== undefined) {
        const prev = parseStoredSecret(await channelSecret(deps.sql, current.secret_id));
        stored = encodeStoredSecret({ url: d.url ?? prev?.url ?? '', secret: d.secret ?? prev?.secret ?? generateSecret() });
      }
      const storedFields = (['url', 'secret'] as const).filter((k) => d[k] !== undefined);
      const channel = await updateChannel(deps.sql, caller, current, { name: d.name, target, rule: d.rule, enabled: d.enabled, stored, storedFields })
        .catch(duplicateName);
      return jsonResponse({ channel });
    }
    case 'delete': {
      const current = await channelFor(deps, caller, d.channel_id);
      await deleteChannel(deps.sql, caller, current);
      return jsonResponse({ deleted: current.id });
    }
    case 'test': {
      const current = await channelFor(deps, caller, d.channel_id);
      const stored = parseStoredSecret(await channelSecret(deps.sql, current.secret_id));
      if (!stored || !channelKind(current.kind)) throw new HttpError('misconfigured', 'The channel\'s stored target is unreadable; update its url.');
      const [org] = await deps.sql<Array<{ id: string; slug: string; name: string }>>`select id, slug, name from public.orgs where id = ${current.org_id}`;
      const { result, latencyMs } = await sendAttempt({ kind: current.kind, url: stored.url, secret: stored.secret, notification: testNotification(org!, deps.alertUrl) }, deps);
      const answer = result.kind === 'answer' ? result : null;
      return jsonResponse({
        delivered: answer !== null && answer.status >= 200 && answer.status < 300,
        http_status: answer?.status ?? null,
        latency_ms: Math.round(latencyMs),
        response: answer?.body ?? null,
        error: result.kind === 'answer' ? null : result.kind === 'timeout' ? 'timeout' : result.message,
      });
    }
    case 'resend': {
      const row = await findOutboxRow(deps.sql, d.outbox_id);
      if (!row || !canSeeOrg(caller, row.org_id)) throw new HttpError('notification_not_found', 'No such notification.', { outbox_id: d.outbox_id });
      requireOrgRole(caller, row.org_id, 'admin');
      const requeued = await requeue(deps.sql, caller, row.org_id, d.outbox_id);
      if (!requeued) throw new HttpError('conflict', `The notification is ${row.status}; only a dead notification is re-sent.`, { current: { status: row.status } });
      return jsonResponse({ notification: requeued });
    }
  }
}

export function createChannelsHandler(deps: ChannelsDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an admin of the org.');
    await refuseBannedCaller(deps.sql, caller);
    const parsed = channelRequestSchema.safeParse(await readJsonBody(req, CHANNELS_MAX_BODY_BYTES));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    return handle(deps, caller, parsed.data);
  }, deps.report);
}
