import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { startAuth } from '../../stack/src/auth/service.ts';
import { resolveConfig } from '../../stack/src/config.ts';
import { startGateway } from '../../stack/src/gateway/server.ts';
import { createLogger } from '../../stack/src/log.ts';
import { freePort } from '../../stack/src/postgres/embedded.ts';

/**
 * The stack's real Auth service started once more, with another supabase/config.toml, on
 * a gateway of its own but the shared database and mail catcher — how the sign-up,
 * confirmation and rate-limit settings are tested without a PostgreSQL per setting.
 */
export interface AuthVariant { apiUrl: string; stop(): Promise<void> }

/** `files` are written beside supabase/ (paths relative to the project directory, like content_path). */
export async function startAuthVariant(configToml: string, files: Record<string, string> = {}): Promise<AuthVariant> {
  const stack = inject('stack');
  if (!stack.smtpPort) throw new Error('auth variants need the embedded stack (its mail catcher)');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-auth-variant-'));
  await fs.mkdir(path.join(dir, 'supabase'));
  const configPath = path.join(dir, 'supabase', 'config.toml');
  await fs.writeFile(configPath, configToml);
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), text);
  }
  const config = resolveConfig({ apiPort: await freePort(), smtpPort: stack.smtpPort, supabaseConfigPath: configPath, quiet: true });
  const log = createLogger('auth-variant', true);
  const gateway = await startGateway({ host: config.host, port: config.apiPort, keys: config.keys, log });
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  const auth = await startAuth({ config, apiUrl: gateway.url, dbUrl: stack.dbUrl, sql, log });
  for (const m of auth.mounts ?? []) gateway.mount(m);
  return {
    apiUrl: gateway.url,
    async stop() {
      await auth.stop();
      await gateway.close();
      await sql.end();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
