import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';

/**
 * The end-to-end tests and benchmarks compare what the site shows with the starter it ships. They
 * must read that starter through shippedStarter() (engine/course/shipped-starters.ts): exercises/ is
 * where whoever runs them works the exercises, so reading it there makes the tests fail, or measure
 * solved code, on a maintainer's or an instructor's machine.
 */

const scanned = ['tests/e2e', 'tests/bench'];
// An exercise folder read as files: its directory from loadCourse(), or a path written out.
const readsExerciseFolder = [/\bexerciseDir\b/, /readFile\w*\([^)]*['`]exercises\//];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('tests and benchmarks', () => {
  it('read the shipped starters, never the exercise folders learners edit', () => {
    const offenders = scanned
      .flatMap((dir) => sourceFiles(join(courseRoot, dir)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) =>
            readsExerciseFolder.some((pattern) => pattern.test(line))
              ? [`${relative(courseRoot, file)}:${index + 1}: ${line.trim()}`]
              : [],
          ),
      );
    expect(offenders).toEqual([]);
  });
});
