/**
 * playbooks: an org's admins create, edit, retire and restore the org's own playbooks
 * and hide or unhide global ones for the org. Thin handler: who may act (here), what
 * an action may do to which playbook (rules/), the SQL (store/).
 *
 * Each change and its public.audit_log row (_shared/audit.ts) commit in one
 * transaction; the playbook's search vector is a generated column, so retrieval uses
 * the new text from that commit on. Reads go over REST under RLS.
 *
 * Callers: an admin of the org (or the service role, audited with no actor). Viewer or
 * operator → 403; a user of another org → 404 (the org or playbook is not revealed);
 * anon → 401.
 */
import type { Sql, TransactionSql } from 'postgres';
import { auditActor, writeAudit, type AuditEntry } from '../_shared/audit.ts';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, canSeeOrg, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import type { PlaybookResult } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { isUniqueViolation } from '../_shared/sql-state.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { refusal, STATUS_AFTER } from './rules/permissions.ts';
import { PLAYBOOKS_MAX_BODY_BYTES, playbookRequestSchema, slugFromTitle, type PlaybookChange, type PlaybookRequest } from './rules/validation.ts';
import {
  findPlaybook, hidePlaybook, insertPlaybook, lockPlaybook, setPlaybookStatus, unhidePlaybook, updatePlaybook, type PlaybookSent,
} from './store/playbooks.ts';

export interface PlaybooksDeps {
  sql: Sql;
  report?: ErrorReporter;
}


type AuditFields = NonNullable<AuditEntry['before']>;

/** The fields `keys` of a row, as audit JSON. */
function fieldsOf(row: PlaybookSent, keys: readonly string[]): AuditFields {
  const out: AuditFields = {};
  for (const k of keys) {
    // JSON round trip: Dates (postgres.js) become ISO text, as in the response.
    out[k] = JSON.parse(JSON.stringify((row as unknown as Record<string, unknown>)[k] ?? null)) as AuditFields[string];
  }
  return out;
}

const notFound = (id: string): HttpError => new HttpError('not_found', 'No such playbook.', { id });
const conflictOnSlug = (slug: string): HttpError =>
  new HttpError('conflict', `The organisation already has a playbook with the slug "${slug}"; choose another title or slug.`, { slug });

async function create(sql: Sql, caller: Caller, r: Extract<PlaybookRequest, { action: 'create' }>): Promise<PlaybookResult> {
  requireOrgRole(caller, r.org_id, 'admin');
  const slug = r.playbook.slug ?? slugFromTitle(r.playbook.title);
  return sql.begin(async (tx) => {
    const playbook = await insertPlaybook(tx, r.org_id, slug, r.playbook, auditActor(caller));
    if (!playbook) throw conflictOnSlug(slug);
    await writeAudit(tx, caller, { orgId: r.org_id, action: 'playbook.create', targetType: 'playbook', targetId: playbook.id, before: null, after: fieldsOf(playbook, ['slug', ...Object.keys(r.playbook)]) });
    return { playbook, changed: true };
  });
}

/** update / retire / restore of one of the org's own playbooks. */
async function change(sql: Sql, caller: Caller, id: string, action: 'update' | 'retire' | 'restore', c: PlaybookChange | null): Promise<PlaybookResult> {
  const found = await findPlaybook(sql, id);
  if (!found || (found.org_id !== null && !canSeeOrg(caller, found.org_id))) throw notFound(id);
  const refused = refusal(action, found);
  if (refused) throw new HttpError(refused.code, refused.message, { id });
  const orgId = found.org_id!;
  requireOrgRole(caller, orgId, 'admin');
  return sql.begin(async (tx: TransactionSql) => {
    const before = await lockPlaybook(tx, id);
    const again = refusal(action, before); // a concurrent retire/restore may have won
    if (again) throw new HttpError(again.code, again.message, { id });
    const status = STATUS_AFTER[action];
    let playbook: PlaybookSent;
    try {
      playbook = status ? await setPlaybookStatus(tx, id, status, auditActor(caller)) : await updatePlaybook(tx, id, c!, auditActor(caller));
    } catch (e) {
      if (isUniqueViolation(e) && c?.slug) throw conflictOnSlug(c.slug);
      throw e;
    }
    const keys = status ? ['status'] : Object.keys(c!);
    await writeAudit(tx, caller, { orgId, action: `playbook.${action}`, targetType: 'playbook', targetId: id, before: fieldsOf(before, keys), after: fieldsOf(playbook, keys) });
    return { playbook, changed: true };
  });
}

async function setHidden(sql: Sql, caller: Caller, r: Extract<PlaybookRequest, { action: 'hide' | 'unhide' }>): Promise<PlaybookResult> {
  requireOrgRole(caller, r.org_id, 'admin');
  const found = await findPlaybook(sql, r.playbook_id);
  if (!found || (found.org_id !== null && found.org_id !== r.org_id)) throw notFound(r.playbook_id);
  const refused = refusal(r.action, found);
  if (refused) throw new HttpError(refused.code, refused.message, { id: r.playbook_id });
  return sql.begin(async (tx) => {
    const changed = r.action === 'hide'
      ? await hidePlaybook(tx, r.org_id, r.playbook_id, auditActor(caller))
      : await unhidePlaybook(tx, r.org_id, r.playbook_id);
    if (changed) {
      const hidden = r.action === 'hide';
      await writeAudit(tx, caller, { orgId: r.org_id, action: `playbook.${r.action}`, targetType: 'playbook', targetId: r.playbook_id, before: { hidden: !hidden }, after: { hidden } });
    }
    return { playbook: await lockPlaybook(tx, r.playbook_id), changed };
  });
}

export function createPlaybooksHandler(deps: PlaybooksDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an admin of the organisation to manage its playbooks.');
    await refuseBannedCaller(deps.sql, caller);
    const parsed = playbookRequestSchema.safeParse(await readJsonBody(req, PLAYBOOKS_MAX_BODY_BYTES));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const r = parsed.data;
    switch (r.action) {
      case 'create': return jsonResponse(await create(deps.sql, caller, r), 201);
      case 'update': return jsonResponse(await change(deps.sql, caller, r.id, 'update', r.playbook));
      case 'retire':
      case 'restore': return jsonResponse(await change(deps.sql, caller, r.id, r.action, null));
      case 'hide':
      case 'unhide': return jsonResponse(await setHidden(deps.sql, caller, r));
    }
  }, deps.report);
}
