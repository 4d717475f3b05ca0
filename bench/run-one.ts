/**
 * One benchmark in a process of its own (forked by bench/run-all.ts): imports the module,
 * runs it and hands the result to the parent over IPC. A fresh process per benchmark keeps
 * one benchmark's heap, JIT state and lingering handles out of the next one's figures.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './types.ts';

export type RunOneReply = { result: BenchResult } | { error: string };

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2];
if (!file || !process.send) throw new Error('usage: forked by bench/run-all.ts with a bench file name');

let reply: RunOneReply;
try {
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as BenchModule;
  reply = { result: await mod.run() };
} catch (e) {
  reply = { error: e instanceof Error ? e.stack ?? e.message : String(e) };
}
// Exit once the reply is sent: a benchmark may leave timers or sockets behind.
process.send(reply, () => process.exit(0));
