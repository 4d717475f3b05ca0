/**
 * The soak benchmark's stack, in a process of its own so its resident memory can be
 * measured apart from the load generator and the 200 subscribers. Prints one JSON line
 * `{"ready": true, apiUrl, dbUrl, pid}` when serving; stops cleanly on SIGTERM or when its parent exits.
 * Usage: node --import tsx bench/soak-stack.ts <dataDir> <apiPort> <dbPort>
 */
import { freePort } from '../stack/src/postgres/embedded.ts';
import { startStack } from '../stack/src/start.ts';

const [dataDir, apiPort, dbPort] = process.argv.slice(2);
if (!dataDir || !apiPort || !dbPort) throw new Error('usage: soak-stack.ts <dataDir> <apiPort> <dbPort>');

const stack = await startStack({ dataDir, apiPort: Number(apiPort), dbPort: Number(dbPort), mailPort: await freePort(), smtpPort: await freePort(), fresh: true, quiet: true });
process.stdout.write(`${JSON.stringify({ ready: true, apiUrl: stack.apiUrl, dbUrl: stack.dbUrl, pid: process.pid })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void stack.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// It runs in a session of its own (no terminal signals reach it): stop when the benchmark is gone.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) stop(); }, 1_000).unref();
