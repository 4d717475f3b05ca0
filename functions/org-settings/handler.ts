/**
 * org-settings: an org's admins change its settings (area, districts, time zone,
 * categories, scan thresholds, map, how long raw events are kept). Thin handler: who may (here), what is valid
 * (schema.ts over rules/: GeoJSON, the area's H3 cells, IANA zones), the SQL
 * (store/settings.ts).
 *
 * `{"action": "update", "org_id", ...fields}` is a partial update: only the fields
 * given change, and `scan` merges into the stored thresholds. The row is locked, the
 * change and its public.audit_log row (_shared/audit.ts) commit in one transaction;
 * a refused request changes nothing.
 *
 * Callers: an admin of the org, or the service role (provisioning). Operator or
 * viewer → 403; a user of another org → 404 (the org's existence is not revealed),
 * the same rule as decisions and ingest-events (_shared/auth-claims.ts requireOrgRole);
 * anon → 401. The role is checked on the envelope before the fields are, so an
 * outsider learns nothing from field errors.
 */
import type { Sql } from 'postgres';
import { writeAudit, type JsonValue } from '../_shared/audit.ts';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole } from '../_shared/auth-claims.ts';
import type { OrgSettingsResult } from '../_shared/contract.ts';
import type { Json } from '../_shared/database.types.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { envelopeSchema, SETTINGS_FIELDS, SETTINGS_LIMITS, updateSchema } from './schema.ts';
import { lockSettings, writeSettings, type SettingsValues } from './store/settings.ts';

export interface OrgSettingsDeps {
  sql: Sql;
  report?: ErrorReporter;
}

type JsonObject = { [key: string]: Json };

export function createOrgSettingsHandler(deps: OrgSettingsDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an admin of the organisation.');
    await refuseBannedCaller(deps.sql, caller);
    const body = await readJsonBody(req, SETTINGS_LIMITS.maxBodyBytes);
    const env = envelopeSchema.safeParse(body);
    if (!env.success) throw validationError(fieldErrors(env.error));
    const orgId = env.data.org_id;
    requireOrgRole(caller, orgId, 'admin');
    const parsed = updateSchema.safeParse(body);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const u = parsed.data;

    const result = await deps.sql.begin(async (tx): Promise<OrgSettingsResult> => {
      const cur = await lockSettings(tx, orgId);
      if (!cur) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
      const values: SettingsValues = {};
      // Settings values are JSON as stored (no undefined inside), which the audit helper takes.
      const before: Record<string, JsonValue> = {};
      const after: Record<string, JsonValue> = {};
      const changed = SETTINGS_FIELDS.filter((f) => u[f] !== undefined);
      if (u.area !== undefined) {
        values.area = u.area === null ? null : (u.area.geometry as unknown as Json);
        values.area_cells = u.area === null ? [] : u.area.cells;
        Object.assign(before, { area: cur.area as JsonValue, area_cell_count: cur.area_cell_count });
        Object.assign(after, { area: values.area as JsonValue, area_cell_count: values.area_cells.length });
      }
      if (u.scan !== undefined) values.scan = { ...(cur.scan as JsonObject), ...(u.scan as JsonObject) };
      for (const f of ['districts', 'time_zone', 'categories', 'map', 'retention_days'] as const) {
        if (u[f] !== undefined) values[f] = u[f] as unknown as Json;
      }
      for (const f of ['districts', 'time_zone', 'categories', 'scan', 'map', 'retention_days'] as const) {
        if (values[f] === undefined) continue;
        before[f] = cur[f] as JsonValue;
        after[f] = values[f] as JsonValue;
      }
      const row = await writeSettings(tx, orgId, values, caller.kind === 'user' ? caller.userId : null);
      await writeAudit(tx, caller, { orgId, action: 'settings.update', targetType: 'org_settings', targetId: orgId, before, after });
      return { ...row, changed: [...changed] };
    });
    return jsonResponse(result);
  }, deps.report);
}
