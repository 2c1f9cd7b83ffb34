import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import { DEFAULT_SEED, type RunningTest } from '../../engine/grading/results.ts';
import type { GradeOutcome } from '../../engine/runtime/runner.ts';
import type { Timers } from '../../engine/runtime/timers.ts';
import type { ToWorker } from '../../engine/runtime/worker/protocol.ts';
import { createWorkerRunner, type WorkerEvents } from '../../engine/runtime/worker-runner.ts';

const manifest = { id: 'demo', files: { editable: ['demo.ts'] } } as ExerciseManifest;
const request = { manifest, files: { 'demo.ts': 'export {}' } };
const graded: GradeOutcome = {
  kind: 'graded',
  report: { exercise: 'demo', runtime: 'worker', seed: 1, tests: [], errors: [] },
  diagnostics: [],
};

class FakeWorker {
  posted: ToWorker[] = [];
  terminated = false;
  constructor(readonly events: WorkerEvents) {}
  lastGradeId(): number {
    const grade = this.posted.filter((message) => message.type === 'grade').at(-1);
    if (grade?.type !== 'grade') throw new Error('nothing was graded');
    return grade.id;
  }
  reply(
    message:
      | { type: 'running' }
      | { type: 'test-started'; test: RunningTest }
      | { type: 'test-finished' }
      | { type: 'done'; outcome: GradeOutcome },
  ) {
    this.events.message({ ...message, id: this.lastGradeId() });
  }
}

function setup() {
  const clock = FakeTimers.createClock();
  const timers: Timers = {
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle as number),
  };
  const workers: FakeWorker[] = [];
  const runner = createWorkerRunner({
    timers,
    timeLimitMs: 10_000,
    loadLimitMs: 60_000,
    spawn: (events) => {
      const worker = new FakeWorker(events);
      workers.push(worker);
      return { post: (message) => worker.posted.push(message), terminate: () => (worker.terminated = true) };
    },
  });
  return { clock, workers, runner };
}

describe('the Worker runner', () => {
  it('posts the request with the seed `npm run grade` uses and resolves with the outcome the Worker sends', async () => {
    const { workers, runner } = setup();
    const outcome = runner.grade(request);
    await Promise.resolve();
    expect(workers[0]?.posted.at(-1)).toMatchObject({
      type: 'grade',
      seed: DEFAULT_SEED,
      files: request.files,
    });
    workers[0]?.reply({ type: 'running' });
    workers[0]?.reply({ type: 'done', outcome: graded });
    await expect(outcome).resolves.toEqual(graded);
  });

  it('grades every run in a fresh Worker, started and warmed with the solution before the run needs it', async () => {
    const { workers, runner } = setup();
    const starter = { 'demo.ts': 'export const todo = 1;' };
    const solution = { 'demo.ts': 'export const done = 1;' };
    runner.warmUp({ manifest, files: starter, rehearsal: solution });
    expect(workers).toHaveLength(1);
    expect(workers[0]?.posted).toEqual([{ type: 'warm', manifest, rehearsal: solution }]);
    const first = runner.grade(request);
    await Promise.resolve();
    expect(workers).toHaveLength(1);
    workers[0]?.reply({ type: 'done', outcome: graded });
    await first;
    // The Worker that ran learner code is gone; the next one is already warming.
    expect(workers[0]?.terminated).toBe(true);
    expect(workers[1]?.posted).toEqual([{ type: 'warm', manifest, rehearsal: solution }]);
    const second = runner.grade({ ...request, seed: 7 });
    await Promise.resolve();
    expect(workers).toHaveLength(2);
    expect(workers[1]?.posted.at(-1)).toMatchObject({ type: 'grade', seed: 7 });
    workers[1]?.reply({ type: 'done', outcome: graded });
    await expect(second).resolves.toEqual(graded);
    expect(workers[1]?.terminated).toBe(true);
  });

  it('never rehearses with the code it grades: without a warm-up, the next Worker only loads', async () => {
    const { workers, runner } = setup();
    const first = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'done', outcome: graded });
    await first;
    expect(workers[1]?.posted).toEqual([{ type: 'warm', manifest }]);
  });

  it('does not let a second "running" signal extend the budget', async () => {
    const { clock, workers, runner } = setup();
    const looping = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    clock.tick(9_000);
    workers[0]?.reply({ type: 'running' });
    clock.tick(1_000);
    await expect(looping).resolves.toMatchObject({ kind: 'stopped', limitMs: 10_000 });
  });

  it('stops code that runs past the budget, then grades the next run in a new Worker', async () => {
    const { clock, workers, runner } = setup();
    const looping = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    clock.tick(9_999);
    workers[0]?.reply({ type: 'running' });
    clock.tick(10_000);
    await expect(looping).resolves.toMatchObject({ kind: 'stopped', reason: 'time-limit', limitMs: 10_000 });
    expect(workers[0]?.terminated).toBe(true);

    const next = runner.grade(request);
    await Promise.resolve();
    workers[1]?.reply({ type: 'done', outcome: graded });
    await expect(next).resolves.toEqual(graded);
  });

  it('names the grader test that was running when the budget stopped the run', async () => {
    const { clock, workers, runner } = setup();
    const looping = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    workers[0]?.reply({ type: 'test-started', test: { task: 1, name: 'a miss reads PostgreSQL once' } });
    workers[0]?.reply({ type: 'test-finished' });
    workers[0]?.reply({ type: 'test-started', test: { task: 2, name: 'a hit skips PostgreSQL' } });
    clock.tick(10_000);
    await expect(looping).resolves.toMatchObject({
      kind: 'stopped',
      limitMs: 10_000,
      test: { task: 2, name: 'a hit skips PostgreSQL' },
    });
  });

  it('stops the run when the learner asks, naming the running test, and grades the next run in a new Worker', async () => {
    const { workers, runner } = setup();
    runner.stop?.();
    const running = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    workers[0]?.reply({ type: 'test-started', test: { task: 1, name: 'a miss reads PostgreSQL once' } });
    runner.stop?.();
    await expect(running).resolves.toMatchObject({
      kind: 'stopped',
      reason: 'learner',
      test: { task: 1, name: 'a miss reads PostgreSQL once' },
    });
    expect(workers[0]?.terminated).toBe(true);

    const next = runner.grade(request);
    await Promise.resolve();
    workers[1]?.reply({ type: 'done', outcome: graded });
    await expect(next).resolves.toEqual(graded);
  });

  it('names no test when none was running (the code looped while loading or between tests)', async () => {
    const { clock, workers, runner } = setup();
    const looping = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    workers[0]?.reply({ type: 'test-started', test: { task: 1, name: 'first' } });
    workers[0]?.reply({ type: 'test-finished' });
    clock.tick(10_000);
    const outcome = await looping;
    expect(outcome).toMatchObject({ kind: 'stopped' });
    expect(outcome).not.toHaveProperty('test');
  });

  it('does not let progress messages extend the budget', async () => {
    const { clock, workers, runner } = setup();
    const looping = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    for (let ms = 0; ms < 10_000; ms += 1_000) {
      workers[0]?.reply({ type: 'test-started', test: { task: 1, name: `test ${ms}` } });
      workers[0]?.reply({ type: 'test-finished' });
      clock.tick(1_000);
    }
    await expect(looping).resolves.toMatchObject({ kind: 'stopped', limitMs: 10_000 });
  });

  it('starts the budget only when the code runs: loading the packages does not count', async () => {
    const { clock, workers, runner } = setup();
    const outcome = runner.grade(request);
    await Promise.resolve();
    clock.tick(30_000);
    workers[0]?.reply({ type: 'running' });
    clock.tick(5_000);
    workers[0]?.reply({ type: 'done', outcome: graded });
    await expect(outcome).resolves.toEqual(graded);
  });

  it('reports a grader that never loads as a runner error, not as the learner being stopped', async () => {
    const { clock, runner } = setup();
    const outcome = runner.grade(request);
    await Promise.resolve();
    clock.tick(60_000);
    await expect(outcome).resolves.toMatchObject({ kind: 'runner-error' });
  });

  it('reports a crashed Worker as a runner error and recovers on the next run', async () => {
    const { workers, runner } = setup();
    const crashed = runner.grade(request);
    await Promise.resolve();
    workers[0]?.events.crash('Failed to fetch a module script');
    await expect(crashed).resolves.toEqual({
      kind: 'runner-error',
      message: 'the grading worker failed: Failed to fetch a module script',
    });
    const next = runner.grade(request);
    await Promise.resolve();
    workers.at(-1)?.reply({ type: 'done', outcome: graded });
    await expect(next).resolves.toEqual(graded);
  });

  it('serves runs one at a time, in order', async () => {
    const { workers, runner } = setup();
    const first = runner.grade(request);
    const second = runner.grade({ ...request, seed: 7 });
    await Promise.resolve();
    expect(workers).toHaveLength(1);
    workers[0]?.reply({ type: 'done', outcome: graded });
    await first;
    await Promise.resolve();
    expect(workers[1]?.posted.at(-1)).toMatchObject({ type: 'grade', seed: 7 });
    workers[1]?.reply({ type: 'done', outcome: graded });
    await expect(second).resolves.toEqual(graded);
  });

  it('ignores messages from a Worker it already stopped', async () => {
    const { clock, workers, runner } = setup();
    const stopped = runner.grade(request);
    await Promise.resolve();
    workers[0]?.reply({ type: 'running' });
    clock.tick(10_000);
    await stopped;
    const next = runner.grade(request);
    await Promise.resolve();
    workers[0]?.events.message({
      type: 'done',
      id: workers[1]?.lastGradeId() ?? 0,
      outcome: graded,
    });
    workers[1]?.reply({ type: 'done', outcome: { kind: 'runner-error', message: 'from the live worker' } });
    await expect(next).resolves.toMatchObject({ message: 'from the live worker' });
  });

  it('closes the Worker and answers a pending run when disposed', async () => {
    const { workers, runner } = setup();
    const pending = runner.grade(request);
    await Promise.resolve();
    runner.dispose();
    await expect(pending).resolves.toMatchObject({ kind: 'runner-error' });
    expect(workers.every((worker) => worker.terminated)).toBe(true);
    expect(workers).toHaveLength(1);
  });
});
