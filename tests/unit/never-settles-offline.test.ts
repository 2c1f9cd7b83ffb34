import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import { type GradeReport, neverSettledMessage } from '../../engine/grading/results.ts';

// Offline grading (vitest in Node, as `npm run grade` runs it) of code whose calls never settle.
// Its config lives inside the course (in the ignored .grade/) so that it resolves the course's packages.
mkdirSync(join(courseRoot, '.grade'), { recursive: true });
const dir = mkdtempSync(join(courseRoot, '.grade', 'never-settles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gradeOffline(learnerCode: string): { reports: GradeReport[]; wallMs: number } {
  const learnerFile = join(dir, 'load-balancer.ts');
  const outputFile = join(dir, 'results.json');
  writeFileSync(learnerFile, learnerCode);
  const config = join(dir, 'vitest.config.ts');
  writeFileSync(
    config,
    `import { defineConfig } from 'vitest/config';
import { loadExercise } from '${courseRoot}/engine/course/course.ts';
import { graderProject } from '${courseRoot}/engine/grading/projects.ts';
const exercise = loadExercise('load-balancer');
export default defineConfig({
  test: {
    reporters: [['${courseRoot}/engine/grading/reporter.ts', { print: false, outputFile: '${outputFile}' }]],
    projects: [graderProject(exercise, { 'load-balancer.ts': { path: '${learnerFile}' } }, { name: 'load-balancer', seed: 1 })],
  },
});
`,
  );
  const started = performance.now();
  spawnSync('npx', ['vitest', 'run', '--root', courseRoot, '--config', config], {
    cwd: courseRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { reports: JSON.parse(readFileSync(outputFile, 'utf8')), wallMs: performance.now() - started };
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
