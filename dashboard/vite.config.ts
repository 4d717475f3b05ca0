import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

// Served by the stack's gateway under /dashboard/ (stack/src/dashboard/service.ts builds
// it on start when dist/ is missing or older than the sources).
export default defineConfig({
  root,
  base: '/dashboard/',
  publicDir: path.join(root, 'public'),
  clearScreen: false,
  // The SDK from its TypeScript source (the workspace link), so neither `npm start` nor the
  // tests need a prior SDK build; its package.json maps this condition to src/.
  resolve: {
    conditions: ['@hotwatch/source', ...defaultClientConditions],
    // The after-action export (../after-action) writes CSV with csv-stringify; its Node
    // build uses the global Buffer, its browser build carries its own.
    alias: { 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
  },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // h3-js (one emscripten module) and MapLibre GL (~1 MB) are large; nothing to split usefully.
    chunkSizeWarningLimit: 3000,
  },
});
