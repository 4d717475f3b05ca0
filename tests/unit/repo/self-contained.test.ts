// A fresh clone with nothing beside it must install, start and test: no code, script or
// config may read from the workspace around the repository (the shared data folder beside it, which
// the tests once read). Data a test needs lives in tests/fixtures/ with its source and licence.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CODE = /\.(ts|tsx|js|mjs|cjs|sh|json|toml|sql)$|(^|\/)\.ci\/[^/]+$/;
// A path that climbs out of the repository towards the workspace's shared folders.
const OUTSIDE = /(\.\.\/)+shared\/(data|reference)|\/work\/shared\b/;

describe('the repository is self-contained', () => {
  it('no tracked code or config reads from outside the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\n')
      .filter((f) => CODE.test(f) && f !== 'tests/unit/repo/self-contained.test.ts');
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.filter((f) => OUTSIDE.test(readFileSync(resolve(repoRoot, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the vendored New Mexico data carries its source and licence', () => {
    const dir = resolve(repoRoot, 'tests/fixtures/nm_brain_cancer');
    expect(readFileSync(resolve(dir, 'README.md'), 'utf8')).toMatch(/Source: benjamin-allevius\/scanstatistics/);
    expect(readFileSync(resolve(dir, 'LICENSE.md'), 'utf8')).toMatch(/GNU GENERAL PUBLIC LICENSE/);
  });
});
