import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Kernel clock ticks per second for /proc CPU times (almost always 100). */
const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();
const PAGE_BYTES = (() => {
  try { return Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096; } catch { return 4096; }
})();

/** User + system CPU time of a whole process (all threads), in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime field 14, stime field 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return ((utime + stime) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in MB; undefined once it is gone. */
export function processRssMb(pid: number): number | undefined {
  try {
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return (Number(statm[1]) * PAGE_BYTES) / (1024 * 1024);
  } catch {
    return undefined;
  }
}
