import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';

// Offline grading of code that never yields or never stops allocating, in a real vitest process.
// Its config lives inside the course (in the ignored .grade/) so that it resolves the course's packages.
mkdirSync(join(courseRoot, '.grade'), { recursive: true });
const dir = mkdtempSync(join(courseRoot, '.grade', 'runaway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gradeOffline(learnerCode: string, { watchdogMs = 3000, nodeOptions = '' } = {}) {
  const learnerFile = join(dir, 'load-balancer.ts');
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
    reporters: [['${courseRoot}/engine/grading/reporter.ts', { print: true, watchdogMs: ${watchdogMs} }]],
    projects: [graderProject(exercise, { 'load-balancer.ts': { path: '${learnerFile}' } }, { name: 'load-balancer', seed: 1 })],
  },
});
`,
  );
  const run = spawnSync('npx', ['vitest', 'run', '--root', courseRoot, '--config', config], {
    cwd: courseRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: nodeOptions, NO_COLOR: '1' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('offline grading', () => {
  it("shows what the learner's code printed, under the test that printed it, capped", () => {
    const { output } = gradeOffline(
      "export function createLoadBalancer() {\n  for (let i = 0; i < 50; i++) console.log('creating', i);\n  return { handle: async () => ({ status: 200, body: '' }) };\n}\n",
    );
    expect(output).toContain('Your code printed:');
    expect(output).toMatch(/load-balancer, task 1: .*\n\s+creating 0\n/);
    expect(output).toContain('... and 30 more lines');
  }, 60_000);

  it('stops a loop that never yields, says why, and exits non-zero instead of hanging', () => {
    const { status, output } = gradeOffline(
      'export function createLoadBalancer() { return { async handle() { while (true) {} } }; }\n',
    );
    expect(status).toBe(1);
    expect(output).toContain('Your code was still running after 3 s, so it was stopped');
    expect(output).toMatch(/loop that never\s+ends/);
  }, 60_000);

  it('reports a process that ran out of memory as a crash, not as "not graded", and exits non-zero', () => {
    const { status, output } = gradeOffline(
      'const hog: number[][] = [];\nexport function createLoadBalancer() { while (true) hog.push(new Array(1e6).fill(1)); }\n',
      { nodeOptions: '--max-old-space-size=200', watchdogMs: 40_000 },
    );
    expect(status).not.toBe(0);
    expect(output).toContain('The test process crashed before grading finished');
    expect(output).not.toContain('Not graded in this run');
  }, 60_000);
});
