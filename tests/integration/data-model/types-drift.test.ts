import fs from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { TYPES_OUTPUTS } from '../../../stack/src/types/generate.ts';
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
});
