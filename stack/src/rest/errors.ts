/**
 * The one registry of REST errors: PostgREST v14's PGRST codes with their statuses,
 * messages, details and hints (src/PostgREST/Error.hs), and its SQLSTATE → HTTP map
 * (`mapSQLtoHTTP`). Bodies are always {code, details, hint, message} — key order as
 * aeson emits them — so supabase-js surfaces them untouched.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ErrorBody {
  code: string;
  details: Json;
  hint: Json;
  message: string;
}

export class RestError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, details: Json = null, hint: Json = null, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.body = { code, details, hint, message };
    this.headers = headers;
  }
}

const err = (status: number, code: string) => (message: string, details: Json = null, hint: Json = null) =>
  new RestError(status, code, message, details, hint);

/** Query-parameter parse error (PGRST100): message is parsec's `"<source>" (line 1, column N)`. */
export const queryParamError = err(400, 'PGRST100');

export function invalidRpcMethod(method: string): RestError {
  return err(405, 'PGRST101')(`Cannot use the ${method} method on RPC`);
}
export function invalidBody(message: string): RestError {
  return err(400, 'PGRST102')(message);
}
export type RangeProblem = { kind: 'negative-limit' } | { kind: 'lower-gt-upper' } | { kind: 'out-of-bounds'; offset: number; total: number };
export function invalidRange(p: RangeProblem): RestError {
  const details = p.kind === 'negative-limit' ? 'Limit should be greater than or equal to zero.'
    : p.kind === 'lower-gt-upper' ? 'The lower boundary must be lower than or equal to the upper boundary in the Range header.'
      : `An offset of ${p.offset} was requested, but there are only ${p.total} rows.`;
  return err(416, 'PGRST103')('Requested range not satisfiable', details);
}
export function invalidFilters(): RestError {
  return err(405, 'PGRST105')("Filters must include all and only primary key columns with 'eq' operators");
}
export function unacceptableSchema(schema: string, exposed: string[]): RestError {
  return err(406, 'PGRST106')(`Invalid schema: ${schema}`, null, `Only the following schemas are exposed: ${exposed.join(', ')}`);
}
export function mediaTypeError(accepted: string[]): RestError {
  return err(406, 'PGRST107')(`None of these media types are available: ${accepted.join(', ')}`);
}
export function notEmbedded(resource: string): RestError {
  return err(400, 'PGRST108')(`'${resource}' is not an embedded resource in this request`, null,
    `Verify that '${resource}' is included in the 'select' query parameter.`);
}
export function relatedOrderNotToOne(origin: string, target: string): RestError {
  return err(400, 'PGRST118')(`A related order on '${target}' is not possible`, `'${origin}' and '${target}' do not form a many-to-one or one-to-one relationship`);
}
export function putLimitNotAllowed(): RestError {
  return err(400, 'PGRST114')('limit/offset querystring parameters are not allowed for PUT');
}
export function putMatchingPk(): RestError {
  return err(400, 'PGRST115')('Payload values do not match URL in primary key column(s)');
}
export function singularityError(rows: number): RestError {
  return err(406, 'PGRST116')('Cannot coerce the result to a single JSON object', `The result contains ${rows} rows`);
}
export function unsupportedMethod(method: string): RestError {
  return err(405, 'PGRST117')(`Unsupported HTTP method: ${method}`);
}
export function gucHeadersError(): RestError {
  return err(500, 'PGRST111')('response.headers guc must be a JSON array composed of objects with a single key and a string value');
}
export function gucStatusError(): RestError {
  return err(500, 'PGRST112')('response.status guc must be a valid status code');
}
export function pgrstParseError(details: string, hint: string): RestError {
  return err(500, 'PGRST121')(`Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, details, hint);
}
export function invalidPreferences(prefs: string[]): RestError {
  return err(400, 'PGRST122')('Invalid preferences given with handling=strict', `Invalid preferences: ${prefs.join(', ')}`);
}
export function aggregatesNotAllowed(): RestError {
  return err(400, 'PGRST123')('Use of aggregate functions is not allowed');
}
export function maxAffectedViolation(rows: number): RestError {
  return err(400, 'PGRST124')('Query result exceeds max-affected preference constraint', `The query affects ${rows} rows`);
}
export function invalidResourcePath(): RestError {
  return err(404, 'PGRST125')('Invalid path specified in request URL');
}
export function openApiDisabled(): RestError {
  return err(404, 'PGRST126')('Root endpoint metadata is disabled');
}
export function notImplemented(details: string): RestError {
  return err(400, 'PGRST127')('Feature not implemented', details);
}
export function maxAffectedRpcViolation(): RestError {
  return err(400, 'PGRST128')('Function must return SETOF or TABLE when max-affected preference is used with handling=strict');
}

// Schema cache errors (PGRST2xx).
export function noRelationship(parent: string, child: string, schema: string, embedHint: string | undefined, hint: string | null): RestError {
  return err(400, 'PGRST200')(`Could not find a relationship between '${parent}' and '${child}' in the schema cache`,
    `Searched for a foreign key relationship between '${parent}' and '${child}${embedHint !== undefined ? `' using the hint '${embedHint}` : ''}' in the schema '${schema}', but no matches were found.`, hint);
}
/** PGRST201 (300 Multiple Choices): the candidates (compressedRel) in details. */
export function ambiguousRelationship(parent: string, child: string, candidates: Json[], hint: string): RestError {
  return err(300, 'PGRST201')(`Could not embed because more than one relationship was found for '${parent}' and '${child}'`, candidates, hint);
}
export function noRpc(message: string, details: string, hint: string | null): RestError {
  return err(404, 'PGRST202')(message, details, hint);
}
export function ambiguousRpc(message: string): RestError {
  return err(300, 'PGRST203')(message, null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
}
export function columnNotFound(table: string, column: string): RestError {
  return err(400, 'PGRST204')(`Could not find the '${column}' column of '${table}' in the schema cache`);
}
export function tableNotFound(schema: string, table: string, hint: string | null): RestError {
  return err(404, 'PGRST205')(`Could not find the table '${schema}.${table}' in the schema cache`, null, hint);
}

// JWT errors (PGRST3xx): 401s carry WWW-Authenticate as PostgREST sends it.
function invalidToken(code: string, message: string, details: Json = null): RestError {
  return new RestError(401, code, message, details, null,
    { 'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}` });
}
export function jwtSecretMissing(): RestError {
  return err(500, 'PGRST300')('Server lacks JWT secret');
}
export const jwtDecode = (message: string, details: Json = null): RestError => invalidToken('PGRST301', message, details);
export function jwtTokenRequired(): RestError {
  return new RestError(401, 'PGRST302', 'Anonymous access is disabled', null, null, { 'WWW-Authenticate': 'Bearer' });
}
export const jwtClaims = (message: string): RestError => invalidToken('PGRST303', message);

export function noSchemaCache(): RestError {
  return err(503, 'PGRST002')('Could not query the database for the schema cache. Retrying.');
}
export function connectionError(details: string | null): RestError {
  return err(503, 'PGRST000')('Database connection error. Retrying the connection.', details);
}
export function acquisitionTimeout(): RestError {
  return err(504, 'PGRST003')('Timed out acquiring connection from connection pool.');
}

/** A cast or type name PostgreSQL would reject, answered as PostgreSQL answers it. */
export function undefinedType(name: string): RestError {
  return err(400, '42704')(`type "${name}" does not exist`);
}

/** pg-safeupdate (loaded for `authenticator` on Supabase): a whole-table UPDATE/DELETE is refused. */
export function safeUpdate(verb: 'UPDATE' | 'DELETE'): RestError {
  return err(400, '21000')(`${verb} requires a WHERE clause`);
}

export function payloadTooLarge(limit: number): RestError {
  return err(413, 'PGRST102')(`Request body exceeds the ${limit}-byte limit`);
}

// SQLSTATE → HTTP -------------------------------------------------------------

/** PostgREST's mapSQLtoHTTP. `authed`: the request's role is not the anonymous role. */
export function sqlStateToHttp(code: string, message: string, authed: boolean): number {
  if (code.startsWith('08')) return 503;
  if (code.startsWith('09')) return 500;
  if (code.startsWith('0L') || code.startsWith('0P')) return 403;
  switch (code) {
    case '23503': case '23505': return 409;
    case '25006': return 405;
    case '21000': return message.endsWith('requires a WHERE clause') ? 400 : 500;
    case '22023': return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
    case '53400': return 500;
    case '57P01': return 503;
    case 'P0001': return 400;
    case '42883': return message.startsWith('function xmlagg(') ? 406 : 404;
    case '42P01': return 404;
    case '42P17': return 500;
    case '42501': return authed ? 403 : 401;
    default: break;
  }
  if (/^(25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(code)) return 500;
  if (code.startsWith('28')) return 403;
  if (code.startsWith('53')) return 503;
  if (code.startsWith('PT')) {
    const n = Number(code.slice(2));
    return Number.isInteger(n) && n >= 100 && n <= 599 ? n : 500;
  }
  return 400;
}

/** What the pg driver reports for a server error. */
export interface PgServerError {
  code: string;
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
}

export function isPgServerError(e: unknown): e is PgServerError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    && typeof (e as { message?: unknown }).message === 'string' && 'severity' in e;
}

/** A PostgreSQL error as PostgREST answers it, including `RAISE SQLSTATE 'PGRST'` full control. */
export function fromPgError(e: PgServerError, authed: boolean): RestError {
  if (e.code === 'PGRST') return fromRaisePgrst(e);
  const status = sqlStateToHttp(e.code, e.message, authed);
  const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
  return new RestError(status, e.code, e.message, e.detail ?? null, e.hint ?? null, headers);
}

function fromRaisePgrst(e: PgServerError): RestError {
  let msg: unknown;
  try { msg = JSON.parse(e.message); } catch { msg = undefined; }
  if (!isObject(msg) || typeof msg.code !== 'string' || typeof msg.message !== 'string') {
    return pgrstParseError(`Invalid JSON value for MESSAGE: '${e.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.");
  }
  const dHint = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
  if (e.detail === undefined) return pgrstParseError('DETAIL is missing in the RAISE statement', dHint);
  let det: unknown;
  try { det = JSON.parse(e.detail); } catch { det = undefined; }
  if (!isObject(det) || typeof det.status !== 'number' || !isObject(det.headers)) {
    return pgrstParseError(`Invalid JSON value for DETAIL: '${e.detail}'`, dHint);
  }
  // fromEntries defines own keys (a "__proto__" header stays a header).
  const headers: Record<string, string> = Object.fromEntries(Object.entries(det.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const str = (v: unknown): Json => (typeof v === 'string' ? v : null);
  return new RestError(det.status, msg.code, msg.message, str(msg.details), str(msg.hint), headers);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
