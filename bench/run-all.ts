import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunOneReply } from './run-one.ts';
import type { BenchResult } from './types.ts';

/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line)
 * one after another, each in a process of its own (bench/run-one.ts), prints each figure
 * beside its gate and floor, and writes one report: bench/results/report.md and
 * bench/results/report.json.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  return abs >= 100 ? n.toFixed(0) : abs >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/**
 * Keep bench/results/ current from this run too: a benchmark that wrote its own results file
 * during the run (with extra data, e.g. the soak's samples) has done so; for the others
 * write <stem>.json (x.bench.ts → x.json) with their figures.
 */
async function refreshResultFile(stem: string, result: BenchResult, startedAtPerfMs: number): Promise<void> {
  const dir = path.join(here, 'results');
  const startedAt = Date.now() - (performance.now() - startedAtPerfMs);
  await fs.mkdir(dir, { recursive: true });
  for (const f of await fs.readdir(dir)) {
    if (!f.endsWith('.json') || f.startsWith('report')) continue;
    if ((await fs.stat(path.join(dir, f))).mtimeMs >= startedAt) return;
  }
  await fs.writeFile(path.join(dir, `${stem}.json`), JSON.stringify(result, null, 2));
}

/** Run one benchmark in a fresh Node process and return its result. */
function runIsolated(file: string): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'run-one.ts'), [file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: RunOneReply | undefined;
    child.on('message', (m: RunOneReply) => { reply = m; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (reply && 'result' in reply) resolve(reply.result);
      else reject(new Error(reply?.error ?? `benchmark process exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = (await fs.readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
  const results: BenchResult[] = [];
  const failures: string[] = [];
  for (const file of files) {
    process.stdout.write(`\n== ${file}\n`);
    const started = performance.now();
    try {
      const result = await runIsolated(file);
      results.push(result);
      await refreshResultFile(file.replace(/\.bench\.ts$/, ''), result, started);
      for (const f of result.figures) {
        const verdict = f.pass === undefined ? '' : f.pass ? ' PASS' : ' FAIL';
        process.stdout.write(`  ${f.metric}: ${fmt(f.value)} ${f.unit}${f.floor !== undefined ? ` (floor ${fmt(f.floor)})` : ''}${f.gate ? ` [gate ${f.gate}]${verdict}` : ''}\n`);
      }
    } catch (e) {
      failures.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      process.stdout.write(`  ERROR ${String(e)}\n`);
    }
    process.stdout.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const md: string[] = ['# Hotwatch benchmark report', '', `Run ${new Date().toISOString()} on ${machine}.`,
    'Compare ratios within one run: the machines are noisy.', ''];
  for (const r of results) {
    md.push(`## ${r.name}`, '', '| metric | value | floor (same run) | gate | pass | anchor |', '|---|---|---|---|---|---|');
    for (const f of r.figures) {
      md.push(`| ${f.metric} | ${fmt(f.value)} ${f.unit} | ${f.floor !== undefined ? fmt(f.floor) : ''} | ${f.gate ?? ''} | ${f.pass === undefined ? '' : f.pass ? '✅' : '❌'} | ${f.anchor ?? ''} |`);
    }
    for (const n of r.notes ?? []) md.push('', `- ${n}`);
    md.push('');
  }
  if (failures.length) md.push('## Benchmarks that failed to run', '', ...failures.map((f) => `- ${f}`), '');
  const outDir = path.join(here, 'results');
  await fs.mkdir(outDir, { recursive: true });
  await fs.writeFile(path.join(outDir, 'report.md'), md.join('\n'));
  await fs.writeFile(path.join(outDir, 'report.json'), JSON.stringify({ ranAt: new Date().toISOString(), machine, results, failures }, null, 2));
  process.stdout.write(`\nwrote bench/results/report.md and report.json\n`);
  if (failures.length) process.exitCode = 1;
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
