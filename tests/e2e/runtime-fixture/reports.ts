import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { courseRoot } from '../../../engine/course/course.ts';
import { DEFAULT_SEED, type GradeReport } from '../../../engine/grading/results.ts';
import type { GradeOutcome } from '../../../engine/runtime/runner.ts';

/**
 * What the Node in-page runner reports for a kept implementation: the reference
 * the browser runners are compared with. Run in its own process (node-results.ts),
 * because @vitest/runner cannot nest inside the vitest running these tests.
 */
export async function nodeReport(id: string, implementation: string): Promise<GradeReport> {
  const { stdout } = await promisify(execFile)(
    'npx',
    ['tsx', 'tests/e2e/runtime-fixture/node-results.ts', id, implementation, String(DEFAULT_SEED)],
    { cwd: courseRoot, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

export function reportOf(outcome: GradeOutcome): GradeReport {
  if (outcome.kind !== 'graded') throw new Error(`expected a graded run, got ${JSON.stringify(outcome)}`);
  return outcome.report;
}
