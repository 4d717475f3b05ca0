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
import { channelKind, type ChannelConfig, type ChannelKind } from '../_shared/notifications/kinds.ts';
import { judge } from '../_shared/notifications/retry.ts';
import { sendAttempt, type SendDeps } from '../_shared/notifications/send.ts';
import { generateSecret } from '../_shared/notifications/signature.ts';
import { encodeStoredSecret, parseStoredSecret } from '../_shared/notifications/stored-secret.ts';
import { addressLiteral, checkTarget, parseTargetUrl } from '../_shared/notifications/target.ts';
import { isUniqueViolation } from '../_shared/sql-state.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { CHANNELS_MAX_BODY_BYTES, channelRequestSchema, type ChannelRequest } from './schema.ts';
import { testNotification } from './test-notification.ts';
import {
  channelSecret, deleteChannel, findChannel, findOutboxRow, insertChannel, requeue, updateChannel,
} from './store/channels.ts';

export interface ChannelsDeps extends SendDeps {
  sql: Sql;
  alertUrl: (alertId: string) => string;
  report?: ErrorReporter;
}

/** Check a receiver URL; `scheme://host[:port]` (for display) or a field error on `url`. */
async function checkUrl(raw: string, kind: ChannelKind, deps: ChannelsDeps): Promise<string> {
  const parsed = parseTargetUrl(raw, kind.schemes);
  if (!parsed.ok) throw validationError([{ path: 'url', code: parsed.code, message: parsed.message }]);
  const literal = addressLiteral(parsed.host);
  const addresses = literal ? [literal] : await deps.resolveHost(parsed.host).catch(() => []);
  const decision = checkTarget(parsed.host, addresses, deps.allowPrivateTargets);
  if (!decision.ok) throw validationError([{ path: 'url', code: decision.code, message: decision.message }]);
  return `${parsed.url.protocol}//${parsed.url.host}`;
}

/** The kind's own rules for url, secret and addresses (field errors on those paths). */
function validConfig(kind: ChannelKind, given: ChannelConfig): ChannelConfig {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = kind.config.safeParse(defined);
  if (!parsed.success) throw validationError(fieldErrors(parsed.error));
  return parsed.data;
}

/** What the channel row shows: the receiver's origin, or an email channel's addresses and server. */
async function targetOf(kind: ChannelKind, c: ChannelConfig, deps: ChannelsDeps): Promise<string> {
  const server = c.url ? await checkUrl(c.url, kind, deps) : kind.transport === 'http' && kind.defaultUrl ? new URL(kind.defaultUrl).origin : null;
  if (kind.transport === 'http') return server!;
  const shown = `${(c.addresses ?? []).join(', ')} via ${server ?? 'the project mail server'}`;
  return shown.length <= 300 ? shown : `${shown.slice(0, 299)}…`;
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
      const kind = channelKind(d.kind)!;
      const config = validConfig(kind, { url: d.url, secret: d.secret, addresses: d.addresses });
      const target = await targetOf(kind, config, deps);
      const generated = config.secret === undefined && kind.transport === 'http' && kind.generatesSecret ? generateSecret() : undefined;
      const channel = await insertChannel(deps.sql, caller, {
        orgId: d.org_id, kind: d.kind, name: d.name, url: config.url ?? '', target, secret: config.secret ?? generated ?? '',
        addresses: config.addresses, rule: d.rule ?? {}, enabled: d.enabled ?? true, createdBy: caller.userId,
      }).catch(duplicateName);
      // A generated secret is shown this once; a given one is never echoed.
      return jsonResponse({ channel, ...(generated ? { secret: generated } : {}) }, 201);
    }
    case 'update': {
      const current = await channelFor(deps, caller, d.channel_id);
      const storedFields = (['url', 'secret', 'addresses'] as const).filter((k) => d[k] !== undefined);
      let stored: string | undefined;
      let target: string | undefined;
      if (storedFields.length > 0) {
        const kind = channelKind(current.kind);
        if (!kind) throw new HttpError('misconfigured', `The channel's kind ${current.kind} is unknown.`);
        const prev = parseStoredSecret(await channelSecret(deps.sql, current.secret_id));
        const config = validConfig(kind, { url: d.url ?? prev?.url, secret: d.secret ?? prev?.secret, addresses: d.addresses ?? prev?.addresses });
        if (d.url !== undefined || d.addresses !== undefined) target = await targetOf(kind, config, deps);
        stored = encodeStoredSecret({ url: config.url ?? '', secret: config.secret ?? '', addresses: config.addresses });
      }
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
      const { result, latencyMs } = await sendAttempt({
        kind: current.kind, url: stored.url, secret: stored.secret, addresses: stored.addresses, notification: testNotification(org!, deps.alertUrl),
      }, deps);
      const verdict = judge(result, 1, Date.now(), 0);
      return jsonResponse({
        delivered: verdict.outcome === 'delivered',
        http_status: result.kind === 'answer' ? result.status : null,
        latency_ms: Math.round(latencyMs),
        response: result.kind === 'answer' ? result.body : result.kind === 'mail' ? result.response : null,
        error: verdict.outcome === 'delivered' ? null : result.kind === 'timeout' ? 'timeout' : verdict.error,
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
