import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import type { GradeReport, TestResult } from '../../engine/grading/results.ts';
import { offlineGrader } from './offline-grading.ts';

// vitest leaves its module on globalThis.__vitest_index__: learner code that reaches for it, graded offline.
const grader = offlineGrader('grader-runner');
afterAll(grader.remove);

const solution = readFileSync(join(courseRoot, 'solutions/load-balancer/load-balancer.ts'), 'utf8');
const unsolved = 'export function createLoadBalancer() {\n  throw new Error("not yet");\n}\n';
const vitest = 'const vitest = (globalThis as any).__vitest_index__;\n';

function gradeOffline(learnerCode: string): TestResult[] {
  const outputFile = join(grader.dir, 'results.json');
  grader.grade(learnerCode, { print: false, outputFile });
  const reports: GradeReport[] = JSON.parse(readFileSync(outputFile, 'utf8'));
  return reports.flatMap((report) => report.tests);
}

describe('the grader runner judges a test by what its body did', () => {
  it('keeps a failure that an afterEach hook of the learner rewrote as a pass, with its own message', () => {
    const tests = gradeOffline(
      `${unsolved}${vitest}vitest.afterEach((context: any) => { context.task.result.state = 'pass'; context.task.result.errors = []; });\n`,
    );
    expect(tests.length).toBeGreaterThan(0);
    expect(tests.filter((test) => test.status !== 'fail').map((test) => test.name)).toEqual([]);
    expect(tests.every((test) => test.message?.includes('not yet'))).toBe(true);
  }, 120_000);

  it('fails a test the learner marked as expected to fail', () => {
    const tests = gradeOffline(
      `${unsolved}${vitest}vitest.beforeEach((context: any) => { context.task.fails = true; });\n`,
    );
    expect(tests.length).toBeGreaterThan(0);
    expect(tests.filter((test) => test.status !== 'fail').map((test) => test.name)).toEqual([]);
  }, 120_000);

  it('does not count tests the learner defined, even inside a task of the grader', () => {
    const tests = gradeOffline(
      `${solution}\n${vitest}vitest.describe('task 1: mine', () => { vitest.it('my own test', () => {}); });\n`,
    );
    const mine = tests.filter((test) => test.name === 'my own test');
    expect(mine).toEqual([expect.objectContaining({ task: 1, status: 'fail' })]);
    expect(mine[0]?.message).toContain('defined by the code under test');
    // The grader's own tests of the reference solution still pass.
    expect(
      tests.filter((test) => test !== mine[0] && test.status !== 'pass').map((test) => test.name),
    ).toEqual([]);
  }, 120_000);
});

describe("learner code that reaches vitest's channel to the main process", () => {
  it('fails tests whose "pass" the learner sent over vitest\'s channel', () => {
    const tests = gradeOffline(
      `${unsolved}${readFileSync(join(courseRoot, 'tests/cheats/send-passes-over-vitest-channel.ts'), 'utf8')}`,
    );
    expect(tests.length).toBeGreaterThan(0);
    expect(tests.filter((test) => test.status !== 'fail').map((test) => test.name)).toEqual([]);
    // The runner's guard on the channel sends each test's own result, so the real failure arrives every time.
    expect(tests.filter((test) => !test.message?.includes('not yet')).map((test) => test.name)).toEqual([]);
  }, 120_000);
});
