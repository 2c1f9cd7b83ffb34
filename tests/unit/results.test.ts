import { describe, expect, it } from 'vitest';
import {
  type GradeReport,
  stripAnsi,
  taskOf,
  taskOutcomes,
  toTestResult,
} from '../../engine/grading/results.ts';

const tasks = [
  { number: 1, title: 'Read-through' },
  { number: 2, title: 'Negative caching' },
];

function report(tests: GradeReport['tests'], errors: string[] = []): GradeReport {
  return { exercise: 'cache-aside', runtime: 'node', seed: 1, tests, errors };
}

describe('mapping tests to tasks', () => {
  it('takes the task from the nearest "task N:" describe block', () => {
    expect(taskOf(['task 2: negative caching', 'edge cases'], 'x')).toBe(2);
  });

  it('refuses a test outside any task, naming it', () => {
    expect(() => taskOf(['helpers'], 'stray test')).toThrowError(
      /"stray test" is not inside a "task N: \.\.\." describe/,
    );
  });

  it('keeps the first error of a failed test without colour codes', () => {
    const result = toTestResult({
      suites: ['task 1: read-through'],
      name: 'uses a TTL',
      state: 'fail',
      errors: [{ message: '\u001b[31mTTL was 300000\u001b[39m', expected: 300, actual: 300000 }],
      durationMs: 1.234,
    });
    expect(result).toEqual({
      task: 1,
      name: 'uses a TTL',
      status: 'fail',
      message: 'TTL was 300000',
      expected: '300',
      actual: '300000',
      durationMs: 1.23,
    });
    expect(stripAnsi('\u001b[2mplain\u001b[22m')).toBe('plain');
  });
});

describe('task outcomes', () => {
  const pass = (task: number, name: string) => ({ task, name, status: 'pass' as const, durationMs: 1 });
  const fail = (task: number, name: string, message: string) => ({
    task,
    name,
    status: 'fail' as const,
    message,
    durationMs: 1,
  });

  it('passes a task only when all its tests pass, and points at the first failure', () => {
    const outcomes = taskOutcomes(
      report([pass(1, 'a'), pass(1, 'b'), pass(2, 'c'), fail(2, 'd', 'cached null')]),
      tasks,
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['pass', 'fail']);
    expect(outcomes[1]?.failure).toEqual({ test: 'd', message: 'cached null' });
    expect(outcomes[1]).toMatchObject({ passed: 1, total: 2 });
  });

  it('fails every task with the load error when the module could not load', () => {
    const outcomes = taskOutcomes(report([], ['SyntaxError: Unexpected token (3:5)']), tasks);
    expect(outcomes.every((outcome) => outcome.status === 'fail')).toBe(true);
    expect(outcomes[0]?.failure?.message).toContain('Unexpected token');
  });

  it('does not pass a task that has no tests', () => {
    const outcomes = taskOutcomes(report([pass(1, 'a')]), tasks);
    expect(outcomes[1]).toMatchObject({ status: 'fail', failure: { message: 'no test of this task ran' } });
  });

  const skip = (task: number, name: string) => ({
    task,
    name,
    status: 'skip' as const,
    note: 'needs the simulation (real redis configured): moves time',
    durationMs: 0,
  });

  it('neither passes nor fails a task whose tests were all skipped: it is not graded here', () => {
    const outcomes = taskOutcomes(report([pass(1, 'a'), skip(2, 'b'), skip(2, 'c')]), tasks);
    expect(outcomes[1]).toEqual({
      number: 2,
      title: 'Negative caching',
      status: 'not-graded',
      passed: 0,
      total: 2,
      skipped: 2,
    });
  });

  it('passes a task whose other tests pass, counting the skipped ones', () => {
    const outcomes = taskOutcomes(report([pass(1, 'a'), skip(1, 'b'), pass(2, 'c')]), tasks);
    expect(outcomes[0]).toMatchObject({ status: 'pass', passed: 1, total: 2, skipped: 1 });
  });

  it('fails a task with a test skipped without a reason: graders never skip, so something made it skip', () => {
    const { note: _none, ...unexplained } = skip(1, 'b');
    const outcome = taskOutcomes(report([pass(1, 'a'), unexplained, pass(2, 'c')]), tasks)[0];
    expect(outcome).toMatchObject({ status: 'fail', passed: 1, total: 2, skipped: 1 });
    expect(outcome?.failure?.test).toBe('b');
    expect(outcome?.failure?.message).toContain(
      'a task passes only when every one of its tests ran and passed',
    );
  });

  it('fails a task with a skipped test when another of its tests fails, or the module did not load', () => {
    expect(taskOutcomes(report([skip(1, 'a'), fail(1, 'b', 'stale')]), tasks)[0]?.status).toBe('fail');
    expect(taskOutcomes(report([skip(1, 'a')], ['SyntaxError']), tasks)[0]?.status).toBe('fail');
  });
});

describe('skipped tests', () => {
  it('keep the reason they gave, and only skipped tests carry one', () => {
    const skipped = toTestResult({
      suites: ['task 2: negative caching'],
      name: 'expires the marker',
      state: 'skip',
      errors: [],
      note: 'needs the simulation',
      durationMs: 0,
    });
    expect(skipped).toEqual({
      task: 2,
      name: 'expires the marker',
      status: 'skip',
      note: 'needs the simulation',
      durationMs: 0,
    });
    const passed = toTestResult({
      suites: ['task 1: x'],
      name: 'y',
      state: 'pass',
      errors: [],
      note: 'n',
      durationMs: 0,
    });
    expect(passed.note).toBeUndefined();
  });
});
