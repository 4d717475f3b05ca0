import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { installEmulatedExtensions } from '../extensions/install.ts';
import { applyBootstrap } from '../postgres/bootstrap.ts';
import { applyStorageSchema } from '../storage/schema.ts';
import { pushMigrations } from '../postgres/migrate.ts';
import { generateTypes } from './generate.ts';

/**
 * Generate the Database types from a new database in a running cluster, set up as
 * `npm start` sets one up (emulated extensions, bootstrap, storage schema, `supabase db push`), then
 * dropped. It holds the migrations and nothing else, whatever the cluster's other
 * databases hold — the integration tests' scratch tables in `public`, for one.
 */
export async function generateTypesInScratchDatabase(adminUrl: string): Promise<string> {
  const name = `hotwatch_types_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await admin.unsafe(`create database ${name}`);
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  try {
    await installEmulatedExtensions(sql);
    await applyBootstrap(sql);
    await applyStorageSchema(sql);
    await pushMigrations(url.toString(), { seed: false });
    return await generateTypes(url.toString());
  } finally {
    await sql.end();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
