import type { MediaType } from '../media.ts';
import type { ApiRequest } from '../request.ts';
import type { RestResponse } from '../respond.ts';
import { inTransaction, type MainStatement, type TxOptions } from '../tx.ts';
import { contentHeaders } from './body-media.ts';
import type { RestContext } from './context.ts';

export type PlanMedia = Extract<MediaType, { kind: 'plan' }>;

/**
 * db-plan-enabled: the statement PostgREST would run, under `EXPLAIN (FORMAT …, options)`
 * (SqlFragment.hs explainF), in the same transaction; the plan rows each end with a newline
 * (Statements.hs planRow: `BS.unlines`), answered 200 with the plan media type
 * (Response.hs: Content-Type and profile headers only).
 */
export async function explainResponse(ctx: RestContext, req: ApiRequest, media: PlanMedia, opts: TxOptions, main: MainStatement): Promise<RestResponse> {
  const text = `EXPLAIN (${[`FORMAT ${media.format.toUpperCase()}`, ...media.options.map((o) => o.toUpperCase())].join(', ')}) ${main.text}`;
  const lines = await inTransaction<string[]>(ctx.pool, opts, { text, values: main.values }, async (_first, _client, rows) => ({
    value: rows.map((r) => r['QUERY PLAN'] ?? ''), rollback: req.prefs.tx === 'rollback',
  }));
  return { status: 200, headers: contentHeaders(req, media), body: req.method === 'HEAD' ? '' : lines.map((l) => `${l}\n`).join('') };
}
