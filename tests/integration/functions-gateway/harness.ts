import type { Sql } from 'postgres';
import { inject } from 'vitest';
import { startAuth } from '../../../stack/src/auth/service.ts';
import { resolveConfig } from '../../../stack/src/config.ts';
import { createFunctionsGateway, type FunctionsGateway } from '../../../stack/src/functions-gateway/service.ts';
import type { FunctionLimits } from '../../../stack/src/functions-gateway/limits.ts';
import { startGateway, type Gateway } from '../../../stack/src/gateway/server.ts';
import { createLogger, fileSink } from '../../../stack/src/log.ts';
import { testLogFile } from '../../support/stack-log.ts';
import { freePort } from '../../../stack/src/postgres/embedded.ts';
import type { StackService } from '../../../stack/src/service-types.ts';
import { FIXTURE_FUNCTIONS } from '../../fixtures/functions/fixtures.ts';

/**
 * A gateway of its own (on a free port, against the shared test database) serving the
 * fixture functions next to the real auth service, so fixtures never enter
 * supabase/config.toml and limits can be tuned per file.
 */
export interface FunctionsHarness {
  apiUrl: string;
  functionsGateway: FunctionsGateway;
  stop(): Promise<void>;
}

export async function startFunctionsHarness(sql: Sql, limits: Partial<FunctionLimits> = {}): Promise<FunctionsHarness> {
  const stack = inject('stack');
  const port = await freePort();
  const config = resolveConfig({ apiPort: port, quiet: true });
  const log = createLogger('functions-test', false, fileSink(testLogFile('functions-harness')));
  const gateway: Gateway = await startGateway({ host: '127.0.0.1', port, keys: config.keys, log });
  const ctx = { config, apiUrl: `http://127.0.0.1:${port}`, dbUrl: stack.dbUrl, sql, log };
  const functionsGateway = await createFunctionsGateway(ctx, { extraFunctions: FIXTURE_FUNCTIONS, limits });
  const auth: StackService = await startAuth(ctx);
  for (const m of [...(functionsGateway.mounts ?? []), ...(auth.mounts ?? [])]) gateway.mount(m);
  return {
    apiUrl: ctx.apiUrl,
    functionsGateway,
    async stop() {
      await functionsGateway.stop();
      await auth.stop();
      await gateway.close();
    },
  };
}
