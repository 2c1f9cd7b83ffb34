import { defineConfig } from 'vitest/config';

// The course's own unit tests (engine, manifests), apart from the graders.
export default defineConfig({
  test: {
    name: 'unit',
    root: `${import.meta.dirname}/../..`,
    include: ['tests/unit/**/*.test.ts', 'tests/classroom/**/*.test.ts'],
    environment: 'node',
  },
});
