import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postgres/embedded.ts';
import { startStack } from './start.ts';
import { CONTRACT_COPY, CONTRACT_SOURCE, contractCopy, generateTypes, TYPES_OUTPUTS } from './types/generate.ts';

/**
 * `npm run gen:types`: migrate a scratch embedded database from migrations/ (via the
 * Supabase CLI) and write the generated Database types beside the functions and the SDK;
 * copy the functions' request/response contract (types only) into the SDK.
 */
async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-types-'));
  await fs.chmod(root, 0o755);
  const stack = await startStack({
    dataDir: path.join(root, 'pg'), dbPort: await freePort(), apiPort: await freePort(), fresh: true, seed: false, quiet: true,
  });
  try {
    const types = await generateTypes(stack.dbUrl);
    for (const out of TYPES_OUTPUTS) {
      await fs.writeFile(out, types);
      console.log(`wrote ${path.relative(process.cwd(), out)}`);
    }
    await fs.writeFile(CONTRACT_COPY, contractCopy(await fs.readFile(CONTRACT_SOURCE, 'utf8')));
    console.log(`wrote ${path.relative(process.cwd(), CONTRACT_COPY)}`);
  } finally {
    await stack.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
