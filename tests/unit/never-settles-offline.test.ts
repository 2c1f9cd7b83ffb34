import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type GradeReport, neverSettledMessage } from '../../engine/grading/results.ts';
import { offlineGrader } from './offline-grading.ts';

// Offline grading of code whose calls never settle.
const grader = offlineGrader('never-settles');
afterAll(grader.remove);

function gradeOffline(learnerCode: string): { reports: GradeReport[]; wallMs: number } {
  const outputFile = join(grader.dir, 'results.json');
  const { wallMs } = grader.grade(learnerCode, { print: false, outputFile });
  return { reports: JSON.parse(readFileSync(outputFile, 'utf8')), wallMs };
}

describe('offline grading of a call that never settles', () => {
  it('fails each such test at once with the message the browser gives, instead of a 5 s timeout', () => {
    const { reports } = gradeOffline(
      'export function createLoadBalancer() {\n  return { handle: () => new Promise<never>(() => {}) };\n}\n',
    );
    const tests = reports.flatMap((report) => report.tests);
    expect(tests.length).toBeGreaterThan(0);
    expect(tests.filter((test) => test.status !== 'fail').map((test) => test.name)).toEqual([]);
    // Before: "Test timed out in 5000ms", after 5 s each.
    const neverSettled = tests.filter((test) => test.message === neverSettledMessage());
    expect(neverSettled.length).toBeGreaterThan(0);
    for (const test of neverSettled) expect(test.durationMs, test.name).toBeLessThan(2_000);
    expect(tests.filter((test) => /timed out/i.test(test.message ?? '')).map((test) => test.name)).toEqual(
      [],
    );
  }, 120_000);
});
