import { describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import {
  failureView,
  gradingSummary,
  progressTable,
  skippedView,
  wantsColour,
} from '../../engine/grading/format.ts';
import { type GradeReport, stripAnsi } from '../../engine/grading/results.ts';

const manifest: ExerciseManifest = {
  id: 'cache-aside',
  title: 'Cache-aside',
  phase: 2,
  lesson: 'caching',
  estimatedMinutes: 40,
  summary: 'Put Redis in front of PostgreSQL.',
  howGraded: 'In-memory Redis and PostgreSQL with a fake clock.',
  tasks: [1, 2, 3].map((number) => ({
    number,
    title: `Task title ${number}`,
    teaches: 'something worth knowing',
    hints: [`first hint of ${number}`, 'second', 'third'],
  })),
  files: { editable: ['product-cache.ts'], grader: 'tests/cache-aside/cache-aside.test.ts', readOnly: [] },
};

const report: GradeReport = {
  exercise: 'cache-aside',
  runtime: 'node',
  seed: 42,
  errors: [],
  tests: [
    { task: 1, name: 'caches for 300 s', status: 'pass', durationMs: 2 },
    {
      task: 2,
      name: 'a missing product is not cached',
      status: 'fail',
      message: 'cached "null"',
      expected: 'null',
      actual: '"null"',
      durationMs: 1,
    },
    { task: 3, name: 'invalidates', status: 'fail', message: 'stale price', durationMs: 1 },
  ],
};

describe('terminal views of a grading', () => {
  it('shows tasks done and the next task per exercise', () => {
    expect(progressTable([{ manifest, report }])).toContain(
      'cache-aside      ✓··      1/3    next: task 2, Task title 2',
    );
  });

  it('shows only the first failing task, with its diff and first hint', () => {
    const view = failureView({ manifest, report }) ?? '';
    expect(view).toContain('cache-aside, task 2: Task title 2');
    expect(view).toContain('✗ a missing product is not cached');
    expect(view).toContain('expected: null');
    expect(view).toContain('actual:   "null"');
    expect(view).toContain('hint: first hint of 2');
    expect(view).not.toContain('stale price');
  });

  it('shows how far a task part-way done has got: 1 of its 3 tests', () => {
    const partWay: GradeReport = {
      ...report,
      tests: [
        { task: 1, name: 'caches for 300 s', status: 'pass', durationMs: 2 },
        { task: 1, name: 'reads through on a miss', status: 'fail', message: 'no read', durationMs: 1 },
        { task: 1, name: 'counts one query', status: 'fail', message: 'two queries', durationMs: 1 },
      ],
    };
    expect(progressTable([{ manifest, report: partWay }])).toContain(
      '0/3    next: task 1, Task title 1 (1 of 3 tests pass)',
    );
  });

  it('shows the last hint revealed, and how to reveal the next, when given the hint ladder', () => {
    const ladder = (revealed: number) => ({
      revealed: (exercise: string, task: number) => (exercise === 'cache-aside' && task === 2 ? revealed : 1),
      nextStep: (_: string, next: number, total: number) => `npm run hint shows hint ${next} of ${total}`,
    });
    const first = failureView({ manifest, report }, false, ladder(1)) ?? '';
    expect(first).toContain('hint 1 of 3: first hint of 2\n  npm run hint shows hint 2 of 3');
    const second = failureView({ manifest, report }, false, ladder(2)) ?? '';
    expect(second).toContain('hint 2 of 3: second\n  npm run hint shows hint 3 of 3');
    const last = failureView({ manifest, report }, false, ladder(5)) ?? '';
    expect(last).toMatch(/hint 3 of 3: third$/);
  });

  it('prints the seed so a run can be replayed', () => {
    expect(gradingSummary([{ manifest, report }])).toContain('replay this run with --seed 42');
  });

  it('marks a task not graded in this run, and lists its skipped tests with their reason', () => {
    const againstRealServers: GradeReport = {
      ...report,
      tests: [
        { task: 1, name: 'caches for 300 s', status: 'pass', durationMs: 2 },
        { task: 2, name: 'a missing product is not cached', status: 'pass', durationMs: 1 },
        {
          task: 3,
          name: 'invalidates',
          status: 'skip',
          note: 'needs the simulation (real redis configured): holds a write open',
          durationMs: 0,
        },
      ],
    };
    const graded = [{ manifest, report: againstRealServers }];
    expect(progressTable(graded)).toContain(
      'cache-aside      ✓✓-      2/3    complete here; not graded here: task 3',
    );
    expect(skippedView(graded)).toBe(
      'Not graded in this run (1 test; the default run, with the simulations, grades them):\n' +
        '  cache-aside, task 3: invalidates\n' +
        '    needs the simulation (real redis configured): holds a write open',
    );
    expect(failureView({ manifest, report: againstRealServers })).toBeUndefined();
    expect(gradingSummary(graded)).toContain('Not graded in this run');
    expect(skippedView([{ manifest, report }])).toBeUndefined();
  });

  it('has no failure view once every task passes', () => {
    const done = { ...report, tests: report.tests.map((test) => ({ ...test, status: 'pass' as const })) };
    expect(failureView({ manifest, report: done })).toBeUndefined();
    expect(progressTable([{ manifest, report: done }])).toContain('complete');
  });

  it('prints the same text in colour, with passes green and failures red', () => {
    const graded = [{ manifest, report }];
    const coloured = gradingSummary(graded, true);
    expect(stripAnsi(coloured)).toBe(gradingSummary(graded));
    expect(coloured).toContain('\u001b[32m✓\u001b[39m');
    expect(coloured).toContain('\u001b[31m  ✗ a missing product is not cached\u001b[39m');
    expect(stripAnsi(progressTable(graded, true))).toBe(progressTable(graded));
  });

  it.each([
    [{}, true, true],
    [{}, false, false],
    [{}, undefined, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
  ])('decides on colour from %j and a TTY (%s): %s', (env, isTTY, expected) => {
    expect(wantsColour(env, isTTY)).toBe(expected);
  });
});
