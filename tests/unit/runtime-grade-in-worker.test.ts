import { describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import type { InPageGradeRequest } from '../../engine/grading/in-page/run-grader.ts';
import type { GradeReport } from '../../engine/grading/results.ts';
import { courseFilesFrom } from '../../engine/runtime/course-files.ts';
import {
  gradeInWorker,
  packagesUsedBy,
  type RunProgress,
  type WorkerHost,
} from '../../engine/runtime/worker/grade-in-worker.ts';

// gradeInPage itself runs @vitest/runner, which cannot nest inside vitest: it is
// proven in Chromium (tests/e2e/runtime-worker.test.ts) and in Node by the self-check.

const manifest = {
  id: 'greeter',
  files: {
    editable: ['greeter.ts'],
    grader: 'tests/greeter/greeter.test.ts',
    readOnly: ['tests/greeter/names.ts'],
  },
} as unknown as ExerciseManifest;

const course = {
  'tests/greeter/greeter.test.ts': `import RedisMock from 'ioredis-mock';`,
  'tests/greeter/names.ts': `export const NAME = 'ada';`,
};

function report(errors: string[] = []): GradeReport {
  return { exercise: 'greeter', runtime: 'worker', seed: 7, tests: [], errors };
}

function setup(files: Record<string, string> = course, grade = async (_: InPageGradeRequest) => report()) {
  const requests: InPageGradeRequest[] = [];
  const loaded: string[][] = [];
  const loaders = Object.fromEntries(
    Object.entries(files).map(([path, text]) => [`/${path}`, async () => text]),
  );
  const host: WorkerHost = {
    compiledCourseFiles: courseFilesFrom(loaders),
    loadPackages: async (names) => {
      loaded.push([...names]);
      return Object.fromEntries(names.map((name) => [name, { name }]));
    },
    grade: (request) => {
      requests.push(request);
      return grade(request);
    },
  };
  const run = (code: string, onRunning?: () => void, progress: RunProgress = {}) =>
    gradeInWorker({ manifest, files: { 'greeter.ts': code }, seed: 7 }, host, {
      ...progress,
      running: onRunning,
    });
  return { run, requests, loaded };
}

describe('grading inside the Worker', () => {
  it('grades the learner file as @exercise/<id>/<file> with the files the manifest names', async () => {
    const { run, requests, loaded } = setup();
    let running = 0;
    const outcome = await run('export const hello = 1;', () => running++);
    expect(outcome).toEqual({ kind: 'graded', report: report(), diagnostics: [] });
    expect(running).toBe(1);
    expect(requests[0]).toMatchObject({
      exercise: 'greeter',
      seed: 7,
      grader: 'tests/greeter/greeter.test.ts',
      sources: { 'exercises/greeter/greeter.ts': 'export const hello = 1;' },
      compiled: course,
      hostModules: { 'ioredis-mock': { name: 'ioredis-mock' } },
    });
    expect(loaded).toEqual([['ioredis-mock']]);
  });

  it('reports a syntax error in the learner code with its line and column, and runs nothing', async () => {
    const { run, requests } = setup();
    let running = 0;
    const outcome = await run('export const hello = 1;\nexport const goodbye = (;\n', () => running++);
    expect(outcome).toMatchObject({
      kind: 'compile-error',
      diagnostics: [{ file: 'greeter.ts', line: 2, column: 25, message: 'Unexpected token' }],
    });
    expect(outcome.kind === 'compile-error' && outcome.message).toMatch(/^greeter\.ts:2:25: /);
    expect(requests).toHaveLength(0);
    expect(running).toBe(0);
  });

  it('keeps an exception thrown while the learner code loads as a graded run: every task fails with it', async () => {
    const { run } = setup(course, async () => report(['config missing']));
    expect(await run('throw new Error("config missing");')).toEqual({
      kind: 'graded',
      report: report(['config missing']),
      diagnostics: [],
    });
  });

  it('blames the course, not the learner, when a read-only file does not compile', async () => {
    const { run } = setup(course, async () => report(['tests/greeter/names.ts:1:14: Unexpected token']));
    expect(await run('export const hello = 1;')).toEqual({
      kind: 'runner-error',
      message: 'the grader could not load: tests/greeter/names.ts:1:14: Unexpected token',
    });
  });

  it("hands the grading core the page's progress: which grader test starts and when it ends", async () => {
    const events: string[] = [];
    const { run } = setup(course, async (request) => {
      request.onTestStart?.({ task: 1, name: 'greets ada' });
      request.onTestEnd?.();
      return report();
    });
    await run('export const hello = 1;', undefined, {
      testStarted: (test) => events.push(`started task ${test.task}: ${test.name}`),
      testFinished: () => events.push('finished'),
    });
    expect(events).toEqual(['started task 1: greets ada', 'finished']);
  });

  it('reports a grader file the course does not have as a runner error', async () => {
    const { run } = setup({ 'tests/greeter/greeter.test.ts': '' });
    expect(await run('export const hello = 1;')).toEqual({
      kind: 'runner-error',
      message: 'the grader files could not be loaded: the course has no file tests/greeter/names.ts',
    });
  });

  it('reports the grading core throwing as a runner error', async () => {
    const { run } = setup(course, async () => {
      throw new Error('grader test "floats" is not inside a "task N: ..." describe block');
    });
    expect(await run('export const hello = 1;')).toEqual({
      kind: 'runner-error',
      message: 'the grader crashed: grader test "floats" is not inside a "task N: ..." describe block',
    });
  });

  it('refuses a request without the code of every editable file', async () => {
    const { requests } = setup();
    const outcome = await gradeInWorker({ manifest, files: {}, seed: 1 }, setup().run as never);
    expect(outcome).toEqual({ kind: 'runner-error', message: 'no code was given for greeter.ts' });
    expect(requests).toHaveLength(0);
  });

  it('loads only the grader packages the sources import', () => {
    expect(
      packagesUsedBy({
        'a.ts': `import RedisMock from 'ioredis-mock';\nimport type { Pool } from 'pg';`,
        'b.ts': `import { newDb } from "pg-mem";`,
      }),
    ).toEqual(['ioredis-mock', 'pg-mem']);
  });
});
