import { sleep } from './hardening.ts';

/**
 * A scan a test runs itself is `skipped` when the stack's own schedule is scanning the same
 * org at that moment (one scan per org at a time). Tries again with a pause, so the
 * schedule's scan has time to finish, rather than back to back while it still runs.
 */
export async function retryWhileSkipped<T>(
  scan: () => Promise<T>, skipped: (result: T) => boolean, { tries = 10, pauseMs = 250 } = {},
): Promise<T> {
  let result = await scan();
  for (let i = 1; i < tries && skipped(result); i++) {
    await sleep(pauseMs);
    result = await scan();
  }
  return result;
}
