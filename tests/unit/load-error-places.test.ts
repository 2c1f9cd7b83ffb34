import { describe, expect, it } from 'vitest';
import type { TestModule } from 'vitest/node';
import { loadExercise } from '../../engine/course/course.ts';
import { reportsOf } from '../../engine/grading/reporter.ts';
import { loadErrorDiagnostics } from '../../engine/runtime/runner.ts';

/**
 * An error the learner's code throws while it loads, graded by vitest (the CLI, the WebContainer):
 * the report says where it was thrown, from the stack vitest maps back to the TypeScript source, and
 * the runner turns that into the editor's mark on the learner's file.
 */

const { manifest } = loadExercise('cache-aside');
const [editable = ''] = manifest.files.editable;

/** A test module that threw while loading, as vitest hands it to reporters. */
function moduleThatThrew(stack: Array<{ file: string; line: number; column: number }>): TestModule {
  return {
    project: { name: 'cache-aside', config: { provide: {} } },
    children: { allTests: () => [] },
    errors: () => [
      { message: 'REDIS_URL is not set', stacks: stack.map((frame) => ({ method: '', ...frame })) },
    ],
  } as unknown as TestModule;
}

describe('a load error graded by vitest', () => {
  it('is placed at the line and column of the learner file that threw, and marked there', () => {
    const report = reportsOf(
      [
        moduleThatThrew([
          { file: `/home/ada/request-journey/exercises/cache-aside/${editable}`, line: 93, column: 7 },
          { file: '/home/ada/request-journey/tests/cache-aside/cache-aside.test.ts', line: 3, column: 1 },
        ]),
      ],
      'webcontainer',
    ).get('cache-aside');
    expect(report?.errors).toEqual(['REDIS_URL is not set']);
    expect(report && loadErrorDiagnostics(manifest, report)).toEqual([
      { file: editable, line: 93, column: 7, message: 'REDIS_URL is not set' },
    ]);
  });

  it('marks nothing when no frame is in the learner files (the grader or a package threw)', () => {
    const report = reportsOf(
      [moduleThatThrew([{ file: '/course/node_modules/ioredis-mock/index.js', line: 1, column: 1 }])],
      'node',
    ).get('cache-aside');
    expect(report && loadErrorDiagnostics(manifest, report)).toEqual([]);
  });
});
