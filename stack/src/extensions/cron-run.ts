/**
 * One pg_cron job run: a cron.job_run_details row (starting → running → succeeded|failed),
 * the command on a connection of its own as the job's username, and pg_cron's
 * return_message.
 */
import type pg from 'pg';
import { internalClient, type InternalDb } from '../postgres/internal-db.ts';

/** A cron.job row. */
export interface JobRow {
  jobid: string;
  schedule: string;
  command: string;
  username: string;
  database: string;
  active: boolean;
  jobname: string | null;
}

export async function runJob(db: InternalDb, dbUrl: string, row: JobRow): Promise<void> {
  const [detail] = await db<{ runid: string }>`
    insert into cron.job_run_details (jobid, database, username, command, status, start_time)
    values (${row.jobid}, ${row.database}, ${row.username}, ${row.command}, 'starting', now())
    returning runid::text`;
  const runid = detail?.runid ?? null;
  // A connection of its own per run, as pg_cron's background workers: SET ROLE lasts for the run only.
  const conn = internalClient(dbUrl, 'pg_cron', () => {});
  const tags: string[] = [];
  conn.connection.on('commandComplete', (m: { text?: string }) => { tags.push(m.text ?? ''); });
  let status = 'failed';
  let message: string;
  try {
    await conn.connect();
    const { rows: [pidRow] } = await conn.query<{ pid: number }>(`select pg_backend_pid() as pid, set_config('role', $1, false)`, [row.username]);
    await db`update cron.job_run_details set status = 'running', job_pid = ${pidRow?.pid ?? null} where runid = ${runid}`;
    tags.length = 0;
    // No parameters: the simple protocol, so a command may hold several statements.
    const result = (await conn.query(row.command)) as pg.QueryResult | pg.QueryResult[];
    status = 'succeeded';
    message = returnMessage(Array.isArray(result) ? result[result.length - 1] : result, tags[tags.length - 1] ?? '');
  } catch (e) {
    message = `ERROR:  ${e instanceof Error ? e.message : String(e)}`;
  }
  // Recorded before the job's connection is closed: what the job committed (a pg_net request) can be acted
  // on at once, and its run should already read as finished by then.
  try {
    await db`update cron.job_run_details set status = ${status}, return_message = ${message}, end_time = now()
              where runid = ${runid}`;
  } finally {
    await conn.end().catch(() => {});
  }
}

/**
 * pg_cron's return_message for a successful run: "N row(s)" when the last statement
 * returned tuples, else its command status as the server sent it (e.g. "INSERT 0 1",
 * "UPDATE 3", "CREATE TABLE").
 */
export function returnMessage(last: Pick<pg.QueryResult, 'fields' | 'rows'> | undefined, tag: string): string {
  if (last && last.fields.length > 0) {
    const n = last.rows.length;
    return `${n} ${n === 1 ? 'row' : 'rows'}`;
  }
  return tag;
}
