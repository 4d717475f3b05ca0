import { JwtVerifier } from './auth.ts';
import { openApiDisabled, RestError } from './errors.ts';
import { currentCache, findTable, type RestContext } from './handlers/context.ts';
import { handleRead } from './handlers/read.ts';
import { argumentKeys, findRoutine, handleRpc } from './handlers/rpc.ts';
import { handleWrite } from './handlers/write.ts';
import { buildApiRequest, type ApiRequest } from './request.ts';
import { errorResponse, toResponse, type RestResponse } from './respond.ts';

/**
 * The `/rest/v1` mount as a web handler: Request → PostgREST's answer. Everything up to the
 * first query (grammar, preferences, range, media types, schema cache lookups, the error
 * registry) runs on the Request alone, so it is testable in-process (tests/unit/stack/rest-mount.test.ts).
 */

async function options(ctx: RestContext, api: ApiRequest): Promise<RestResponse> {
  let allow = 'OPTIONS,GET,HEAD';
  if (api.resource.kind === 'table') {
    const t = await findTable(ctx, api.schema, api.resource.name);
    const parts = ['OPTIONS,GET,HEAD'];
    if (t.insertable) parts.push('POST');
    if (t.insertable && t.updatable && t.pk.length > 0) parts.push('PUT');
    if (t.updatable) parts.push('PATCH');
    if (t.deletable) parts.push('DELETE');
    allow = parts.join(',');
  } else if (api.resource.kind === 'rpc') {
    const r = await findRoutine(ctx, api.schema, api.resource.name, argumentKeys({ ...api, method: 'GET' }), false, api.contentType);
    allow = r.volatility === 'volatile' ? 'OPTIONS,POST' : 'OPTIONS,GET,HEAD,POST';
  }
  return { status: 200, headers: [['Allow', allow]], body: '' };
}

export function restFetchHandler(ctx: RestContext, jwt: JwtVerifier): (request: Request, subpath: string) => Promise<Response> {
  const { config } = ctx;
  async function respond(req: Request, subpath: string): Promise<RestResponse> {
    const auth = await jwt.authenticate(req.headers.get('authorization') ?? undefined);
    const api = await buildApiRequest(req, subpath, new URL(req.url).search, config, currentCache(ctx).timezones);
    if (api.method === 'OPTIONS') return options(ctx, api);
    switch (api.resource.kind) {
      case 'root': throw openApiDisabled();
      case 'rpc': return handleRpc(ctx, api, auth, api.resource.name);
      case 'table':
        return api.method === 'GET' || api.method === 'HEAD'
          ? handleRead(ctx, api, auth, api.resource.name)
          : handleWrite(ctx, api, auth, api.resource.name);
    }
  }

  return async (req, subpath) => {
    let r: RestResponse;
    try {
      r = await respond(req, subpath);
    } catch (e) {
      if (!(e instanceof RestError)) {
        ctx.log.error('unexpected REST failure', { error: e instanceof Error ? e.stack ?? e.message : String(e) });
        e = new RestError(500, 'PGRSTX00', e instanceof Error ? e.message : String(e));
      }
      r = errorResponse(e as RestError);
      if (r.status >= 500) ctx.log.warn('REST error', { status: r.status, body: (e as RestError).body });
    }
    return toResponse(req, r);
  };
}
