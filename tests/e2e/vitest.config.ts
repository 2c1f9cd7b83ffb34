import { defineConfig } from 'vitest/config';

// End-to-end checks in real Chromium (Debian's chromium via playwright-core): the built site
// (`npm run build` first), the workspace on its lesson pages, and the grading runtime's own fixture page.
export default defineConfig({
  test: {
    name: 'e2e',
    root: `${import.meta.dirname}/../..`,
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    // Building the runtime's fixture page happens in a hook.
    hookTimeout: 600_000,
    // One browser and one server per file; files in parallel would fight over 2 cores.
    fileParallelism: false,
  },
});
