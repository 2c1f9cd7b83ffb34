/// <reference types="vite/client" />
import { type CourseFiles, courseFilesFrom } from './course-files.ts';

/**
 * The course files the browser needs, bundled by Vite as lazy raw-text chunks:
 * a file is only downloaded when a runner reads it. Graders, harnesses and
 * support files for the Worker; the engine and configs the WebContainer and the
 * zip download need to run vitest. Never wrong/ implementations, cheats, unit tests,
 * benchmarks or solutions.
 */
export const bundledCourseFiles: CourseFiles = courseFilesFrom(
  import.meta.glob(
    [
      '/tests/*/**/*.ts',
      '!/tests/*/wrong/**',
      '!/tests/unit/**',
      '!/tests/e2e/**',
      '!/tests/bench/**',
      '!/tests/cheats/**',
      '/engine/course/*.ts',
      '/engine/grading/*.ts',
      '/engine/cli/project.config.ts',
      '/engine/cli/hint-ladder.ts',
      '/engine/runtime/webcontainer/vitest.results.config.ts',
      '/vitest.config.ts',
      '/tsconfig.json',
    ],
    { query: '?raw', import: 'default', eager: false },
  ) as Record<string, () => Promise<string>>,
);
