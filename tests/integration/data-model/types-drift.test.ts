import fs from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { CONTRACT_COPY, CONTRACT_SOURCE, contractCopy, TYPES_OUTPUTS } from '../../../stack/src/types/generate.ts';
import { generateTypesInScratchDatabase } from '../../../stack/src/types/scratch-database.ts';

describe('generated Database types', () => {
  // A database of its own: files running beside this one add scratch tables to the shared one's `public`.
  it('match the migrated schema (run `npm run gen:types` after changing migrations/)', async () => {
    if (!inject('stack').embedded) return;
    const fresh = await generateTypesInScratchDatabase(inject('stack').dbUrl);
    for (const out of TYPES_OUTPUTS) {
      expect(await fs.readFile(out, 'utf8'), `${out} is stale`).toBe(fresh);
    }
  });

  it('the SDK carries the functions\' contract unchanged (run `npm run gen:types` after changing functions/_shared/contract.ts)', async () => {
    expect(await fs.readFile(CONTRACT_COPY, 'utf8'), `${CONTRACT_COPY} is stale`).toBe(contractCopy(await fs.readFile(CONTRACT_SOURCE, 'utf8')));
  });

  it('refuses a contract that is not types only', () => {
    expect(() => contractCopy("export const x = 1;\n")).toThrow(/types only/);
    expect(() => contractCopy("import { z } from 'zod';\nexport type A = string;\n")).toThrow(/import type/);
    expect(() => contractCopy("import type { Database } from './database.types.ts';\nexport interface A { d: Database }\n")).not.toThrow();
  });
});
