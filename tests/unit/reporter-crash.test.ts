import { describe, expect, it } from 'vitest';
import { CRASH_MESSAGE, withCrashes } from '../../engine/grading/reporter.ts';
import { type GradeReport, taskOutcomes } from '../../engine/grading/results.ts';

const tasks = [
  { number: 1, title: 'Read through the cache' },
  { number: 2, title: 'Negative caching' },
];

// What vitest reports when the process running a grader runs out of memory: the tests it never
// reached come back skipped, with no reason, and the crash only as an error outside every test.
function crashedRun(): Map<string, GradeReport> {
  const report: GradeReport = {
    exercise: 'cache-aside',
    runtime: 'node',
    seed: 1,
    errors: [],
    tests: [
      { task: 1, name: 'a', status: 'pass', durationMs: 1 },
      { task: 1, name: 'b', status: 'skip', durationMs: 0 },
      { task: 2, name: 'c', status: 'skip', durationMs: 0 },
    ],
  };
  return new Map([['cache-aside', report]]);
}

describe('a crashed test process', () => {
  it('fails every task it did not finish, saying the process crashed and why that usually happens', () => {
    const reports = withCrashes(crashedRun(), [{ message: '[vitest-pool]: Worker forks emitted error.' }]);
    const outcomes = taskOutcomes(reports.get('cache-aside') as GradeReport, tasks);
    expect(outcomes.map((task) => task.status)).toEqual(['fail', 'fail']);
    expect(outcomes[1]?.failure?.message).toBe(CRASH_MESSAGE);
    expect(CRASH_MESSAGE).toMatch(/crashed.*memory/s);
  });

  it('leaves a run alone when the errors outside tests are not a crash', () => {
    const reports = withCrashes(crashedRun(), [{ message: 'Unhandled rejection: boom' }]);
    expect(reports.get('cache-aside')?.errors).toEqual([]);
  });
});
