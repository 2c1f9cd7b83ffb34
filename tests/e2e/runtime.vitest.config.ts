import { defineConfig } from 'vitest/config';

// The grading runtime in real Chromium (Debian's chromium via playwright-core):
// builds the fixture page once, then drives it. Slow by nature, so apart from the unit tests.
export default defineConfig({
  test: {
    name: 'runtime-e2e',
    root: `${import.meta.dirname}/../..`,
    include: ['tests/e2e/runtime-*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
