import type { TestResult } from '../../../engine/grading/results.ts';

/**
 * A task's tests as the workspace lists them: tests that failed the same way
 * (same message, same expected and actual values) are one entry, so a task
 * whose three tests share one mistake shows its message once, not three times.
 * Pure, so it is unit-tested without a page.
 */

export interface TestGroup {
  /** The tests of this entry, in the order they ran; more than one only for identical failures. */
  tests: TestResult[];
  status: TestResult['status'];
}

const failureKey = (test: TestResult) => JSON.stringify([test.message, test.expected, test.actual]);

export function groupTests(tests: readonly TestResult[]): TestGroup[] {
  const groups: TestGroup[] = [];
  const failures = new Map<string, TestGroup>();
  for (const test of tests) {
    if (test.status !== 'fail') {
      groups.push({ tests: [test], status: test.status });
      continue;
    }
    const key = failureKey(test);
    const same = failures.get(key);
    if (same) {
      same.tests.push(test);
      continue;
    }
    const group: TestGroup = { tests: [test], status: 'fail' };
    failures.set(key, group);
    groups.push(group);
  }
  return groups;
}
