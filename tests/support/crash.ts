/** Crash PostgreSQL under a running stack, as `kill -9` from a shell would. */
import fs from 'node:fs/promises';
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
