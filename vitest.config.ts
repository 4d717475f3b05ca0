import { existsSync } from 'node:fs';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Without Chromium the browser tests are skipped; do not start a stack for them.
const hasChromium = existsSync(process.env.HOTWATCH_CHROMIUM ?? '/usr/bin/chromium');

// Three projects: pure unit tests (no services), integration tests that share one
// embedded stack started by the global setup (fresh data directory per run), and the
// dashboard's browser tests (same stack setup, Debian's Chromium via playwright-core;
// reported as skipped, loudly, when /usr/bin/chromium is missing: `npm run setup`).
export default defineConfig({
  // '@hotwatch/client' resolves to the SDK's TypeScript source (its package.json maps this
  // condition to src/), as in tsconfig.json and the dashboard's Vite config: no build first.
  ssr: { resolve: { conditions: ['@hotwatch/source', ...defaultServerConditions] } },
  test: {
    // A green run prints a dot per test and the summary; a failing test's console (with the
    // stacks' log tails that tests/support/stack-log-setup.ts adds) is still shown.
    // Locally: `npx vitest run --reporter=default` for a line per file.
    reporters: ['dot'],
    silent: 'passed-only',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          // Projects with different worker settings need distinct group orders; this also
          // runs them one after another (unit, integration, browser) on two cores.
          sequence: { groupOrder: 0 },
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/stack-log-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: [...(hasChromium ? ['tests/support/global-setup.ts'] : []), 'tests/browser/support/chromium-check.ts'],
          setupFiles: ['tests/support/stack-log-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // One Chromium at a time: two cores, and each file runs two browser contexts.
          fileParallelism: false,
        },
      },
    ],
  },
});
