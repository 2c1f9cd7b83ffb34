/// <reference types="vite/client" />
import { type CourseFiles, courseFilesFrom } from '../course-files.ts';

/**
 * The course files the grading Worker runs (graders, harnesses, support), as
 * JavaScript transpiled at build time (vite-worker.ts, `?transpiled`), in lazy
 * chunks. The same files as bundled-course-files.ts globs from /tests: Vite needs
 * each glob written out where it is used.
 */
export const compiledCourseFiles: CourseFiles = courseFilesFrom(
  import.meta.glob(
    [
      '/tests/*/**/*.ts',
      '!/tests/*/wrong/**',
      '!/tests/unit/**',
      '!/tests/e2e/**',
      '!/tests/bench/**',
      '!/tests/cheats/**',
    ],
    {
      query: '?transpiled',
      import: 'default',
      eager: false,
    },
  ) as Record<string, () => Promise<string>>,
);
