/** Crash PostgreSQL under a running stack, as `kill -9` from a shell would. */
import fs from 'node:fs/promises';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Stack } from '../../stack/src/start.ts';

/** Child processes of pid (PostgreSQL's backends and auxiliary processes). */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

export const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

/**
 * SIGKILL the postmaster — and with `everything`, each of its processes too, as a machine
 * crash would (otherwise its backends notice the postmaster's death and exit by
 * themselves). Resolves with the time of the kill (performance.now()) once the killed
 * processes are gone. The stack is not told: its supervisor must bring PostgreSQL back.
 */
export async function crashPostgres(stack: Stack, opts: { everything?: boolean } = {}): Promise<number> {
  const pid = stack.postgres.child?.pid();
  if (!pid) throw new Error('PostgreSQL is not running');
  const children = opts.everything ? await childrenOf(pid) : [];
  process.kill(pid, 'SIGKILL');
  const at = performance.now();
  for (const c of children) { try { process.kill(c, 'SIGKILL'); } catch { /* gone */ } }
  const deadline = Date.now() + 10_000;
  while ([pid, ...children].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return at;
}

/** A REST answer seen while waiting for PostgreSQL to come back. */
export interface RestAnswer { status: number; code?: string; message?: string }

/**
 * Query `table` through supabase-js every `everyMs` until REST answers 200: the time from
 * `since` (the kill) to that answer, and every answer before it (the gap). supabase-js
 * retries a GET answered 503 by itself (1 s, 2 s, 4 s); that is off here, so each answer
 * of the server is seen and the time is the server's, not the client's backoff.
 */
export async function firstRest200(client: SupabaseClient, table: string, since: number, opts: { everyMs?: number; timeoutMs?: number } = {}): Promise<{ recoveryMs: number; gap: RestAnswer[] }> {
  const { everyMs = 25, timeoutMs = 60_000 } = opts;
  const gap: RestAnswer[] = [];
  for (;;) {
    const r = await client.from(table).select('id').limit(1).retry(false);
    if (r.status === 200) return { recoveryMs: performance.now() - since, gap };
    gap.push({ status: r.status, code: r.error?.code, message: r.error?.message });
    if (performance.now() - since > timeoutMs) throw new Error(`REST not back ${timeoutMs} ms after the kill; last answers ${JSON.stringify(gap.slice(-3))}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
