import { defineConfig } from 'vitest/config';

// End-to-end checks in real Chromium against the built site (`npm run build` first).
export default defineConfig({
  test: {
    name: 'e2e',
    root: `${import.meta.dirname}/../..`,
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One browser and one preview server per file; files in parallel would fight over 2 cores.
    fileParallelism: false,
  },
});
