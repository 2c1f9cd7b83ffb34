import { afterAll, describe, expect, it } from 'vitest';
import { offlineGrader } from './offline-grading.ts';

// Offline grading of code that never yields, never stops allocating, or prints.
const grader = offlineGrader('runaway');
afterAll(grader.remove);

function gradeOffline(learnerCode: string, { watchdogMs = 3000, nodeOptions = '' } = {}) {
  return grader.grade(learnerCode, { print: true, watchdogMs }, { NODE_OPTIONS: nodeOptions });
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
