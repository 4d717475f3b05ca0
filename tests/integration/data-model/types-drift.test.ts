import fs from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { generateTypes, TYPES_OUTPUTS } from '../../../stack/src/types/generate.ts';

describe('generated Database types', () => {
  it('match the migrated schema (run `npm run gen:types` after changing migrations/)', async () => {
    if (!inject('stack').embedded) return;
    const fresh = await generateTypes(inject('stack').dbUrl);
    for (const out of TYPES_OUTPUTS) {
      expect(await fs.readFile(out, 'utf8'), `${out} is stale`).toBe(fresh);
    }
  });
});
