import type { AuthResult } from '../auth.ts';
import type { ApiRequest } from '../request.ts';
import type { SchemaCache } from '../schema-cache.ts';
import type { TxVars } from '../tx.ts';
import type { RestContext } from './context.ts';

/** The request's cookies for request.cookies (the Cookie header itself is not copied to request.headers). */
function cookies(header: string | undefined): Record<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return Object.fromEntries(out);
}

export function txVars(ctx: RestContext, req: ApiRequest, auth: AuthResult, cache: SchemaCache, funcSettings: Array<[string, string]> = []): TxVars {
  const { cookie: cookieHeader, ...headers } = req.headers;
  return {
    schema: req.schema,
    extraSearchPath: ctx.config.dbExtraSearchPath,
    roleSettings: cache.roleSettings.get(auth.role) ?? [],
    role: auth.role,
    claimsJson: JSON.stringify(auth.claims),
    method: req.method,
    path: req.path,
    headersJson: JSON.stringify(headers),
    cookiesJson: JSON.stringify(cookies(cookieHeader)),
    timezone: req.prefs.timezone,
    funcSettings,
  };
}
