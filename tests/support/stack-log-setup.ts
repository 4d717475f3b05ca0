/** Setup file of the projects that run stacks: a failing test shows its stacks' log files and their tails. */
import { beforeEach, inject } from 'vitest';
import { watchedLogTails, watchLogFile } from './stack-log.ts';

const shared = inject('stack')?.logFile;
if (shared) watchLogFile(shared);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const tails = watchedLogTails();
    if (tails) console.error(tails);
  });
});
