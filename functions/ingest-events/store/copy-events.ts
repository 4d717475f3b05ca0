/**
 * The service role's and feed keys' inserts: one `COPY events FROM STDIN`, streamed while
 * the batch is still being validated — each slice's rows go to the database as soon as
 * they are checked, so PostgreSQL inserts slice k while the function validates slice
 * k + 1, and it stays one statement: the count-cube trigger runs once, at its end, in the
 * same transaction (docs/functions.md "Ingest throughput").
 *
 * COPY has no `on conflict`: duplicates within the batch are dropped here (the first
 * occurrence wins, as with the statement), and a row already stored fails the COPY with
 * 23505 — then nothing was written and the same rows go through the `insert … on
 * conflict do nothing` statement instead, which counts them as duplicates. So does a
 * refusal of COPY itself (0A000: "COPY FROM not supported with row-level security" for a
 * role RLS binds — the function connects as `postgres`, the tables' owner, whom it does
 * not — or a pooler that does not relay COPY).
 */
import type { Sql } from 'postgres';
import { sqlState } from '../../_shared/sql-state.ts';
import { appendColumns, emptyColumns, type EventColumns } from '../rules/batch.ts';
import { copyIn, type CopyIn } from './copy-in.ts';
import { copyRows, EVENT_COPY_COLUMNS } from './copy-text.ts';
import { insertEvents, requireOrg } from './events.ts';

const COPY_EVENTS = `copy public.events (${EVENT_COPY_COLUMNS}) from stdin`;

/** SQLSTATEs after which the statement takes the batch instead of COPY. */
const STATEMENT_INSTEAD = new Set(['23505', '0A000']);

class CopyRefused extends Error {
  constructor(readonly reason: unknown) { super('COPY refused the batch'); }
}

/** Insert every slice's rows into the org (which must exist); how many were new. */
export async function copyAsService(sql: Sql, orgId: string, slices: AsyncIterable<EventColumns>): Promise<number> {
  await requireOrg(sql, orgId);
  const all = emptyColumns(); // every valid row, for the statement should COPY refuse the batch
  const seen = new Set<string>();
  const firstOfKey = (c: EventColumns) => (i: number): boolean => {
    const key = `${c.source[i]}\u0000${c.external_id[i]}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  try {
    return await sql.begin(async (tx) => {
      let copy: CopyIn | null = null;
      let copied = 0;
      let failure: unknown = null;
      for await (const slice of slices) {
        appendColumns(all, slice);
        if (failure !== null) continue; // keep validating: the answer reports every event
        const { text, rows } = copyRows(orgId, slice, firstOfKey(slice));
        if (rows === 0) continue;
        try {
          copy ??= await copyIn(tx, COPY_EVENTS);
          await copy.write(text);
          copied += rows;
        } catch (error) {
          failure = error;
        }
      }
      if (copy && failure === null) await copy.end().catch((error: unknown) => { failure = error; });
      if (failure !== null) throw new CopyRefused(failure);
      return copied;
    });
  } catch (error) {
    if (!(error instanceof CopyRefused)) throw error;
    if (STATEMENT_INSTEAD.has(sqlState(error.reason) ?? '')) return insertEvents(sql, orgId, all);
    throw error.reason;
  }
}
