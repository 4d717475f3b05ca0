import type { Sql } from 'postgres';

/** The vault secrets the scan schedule (migrations/…_scan_schedule.sql) reads. */
export interface ScanSecrets {
  /** The API gateway URL with its real port (functions at <url>/functions/v1/<name>). */
  projectUrl: string;
  /** The service_role JWT (sb_secret_ keys are not JWTs, so the function gateway would reject them). */
  scanKey: string;
}

/**
 * Upsert `project_url` and `hotspot_scan_key` into the vault at every start (never in
 * migrations: the port and key differ per environment). No-op until the vault exists.
 */
export async function writeScanSecrets(sql: Sql, secrets: ScanSecrets): Promise<void> {
  const [vault] = await sql<{ ok: boolean }[]>`select to_regclass('vault.secrets') is not null as ok`;
  if (!vault?.ok) return;
  const entries: Array<[name: string, value: string, description: string]> = [
    ['project_url', secrets.projectUrl, 'API URL the hotspot-scan schedule calls (written by the Hotwatch stack at start)'],
    ['hotspot_scan_key', secrets.scanKey, 'service_role JWT for the hotspot-scan schedule (written by the Hotwatch stack at start)'],
  ];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('hotwatch.vault.scan_secrets'))`;
    for (const [name, value, description] of entries) {
      const [row] = await tx<{ id: string; current: string | null }[]>`
        select id, decrypted_secret as current from vault.decrypted_secrets where name = ${name}`;
      if (!row) await tx`select vault.create_secret(${value}, ${name}, ${description})`;
      else if (row.current !== value) await tx`select vault.update_secret(${row.id}::uuid, ${value})`;
    }
  });
}
