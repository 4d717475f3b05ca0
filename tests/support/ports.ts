import { freePort } from '../../stack/src/postgres/embedded.ts';

/** Free ports for every listener of a stack of its own (API, PostgreSQL, mail web, SMTP). */
export async function freeStackPorts(): Promise<{ apiPort: number; dbPort: number; mailPort: number; smtpPort: number }> {
  return { apiPort: await freePort(), dbPort: await freePort(), mailPort: await freePort(), smtpPort: await freePort() };
}
