import { type File, getFn, setFn, type Task, type TaskResultPack, type Test } from '@vitest/runner';
import { getTasks, getTests } from '@vitest/runner/utils';
import { processError } from '@vitest/utils/error';
import { TestRunner } from 'vitest';
import { signPass, takeGradingKey } from './verdict.ts';

/**
 * The test runner of every grader project. vitest leaves its own module on a global
 * (`__vitest_index__`), so code under test can register hooks without importing anything:
 * an afterEach that rewrites failures as passes, a beforeEach that marks a test as expected
 * to fail, an aroundEach that never runs the test. Those hooks all act on the test's result
 * record. This runner keeps its own record instead: a grader test passes only if its body
 * ran to the end without throwing, and once a test has finished, its result is frozen so
 * that code running later cannot rewrite it either. Tests the code under test defines itself
 * fail: vitest places every test the grader file defines (includeTaskLocation), and only those.
 * vitest's channel to its main process is on a global too (`__vitest_worker__.rpc`): the runner
 * puts a guard on it that always sends a task's own result, whoever asks, and signs each pass
 * for the grading reporter (verdict.ts).
 */

const TAMPERED =
  'The code under test changed how this grader test is run or judged (through vitest itself), ' +
  'so it cannot pass. Remove any use of the test framework from your code: only the harness may be imported.';

const DEFINED_OUTSIDE =
  'This test was defined by the code under test, not by the grader, so it cannot count. ' +
  'Remove any use of the test framework from your code: only the harness may be imported.';

/** The part of vitest's per-thread state the guard needs. */
interface WorkerState {
  rpc: { onTaskUpdate: (packs: TaskResultPack[], events: unknown[]) => Promise<void> };
}

export default class GraderRunner extends TestRunner {
  /** Tests whose body ran to the end, and tests whose body threw, with what it threw. */
  readonly #completed = new WeakSet<Test>();
  readonly #failures = new WeakMap<Test, unknown>();
  // Taken in the constructor: the runner is made before the setup files, the grader and learner code load.
  readonly #gradingKey = takeGradingKey();
  readonly #tasks = new Map<string, Task>();

  constructor(...args: ConstructorParameters<typeof TestRunner>) {
    super(...args);
    const state = (globalThis as unknown as { __vitest_worker__: WorkerState }).__vitest_worker__;
    const rpc = state.rpc;
    const tasks = this.#tasks;
    const onTaskUpdate = (packs: TaskResultPack[], events: unknown[]) =>
      rpc.onTaskUpdate(
        packs.map(([id, result, meta]) => {
          const task = tasks.get(id);
          return task ? [id, task.result, task.meta] : [id, result, meta];
        }),
        events,
      );
    const guarded = new Proxy(rpc, {
      get: (target, name, receiver) =>
        name === 'onTaskUpdate' ? onTaskUpdate : Reflect.get(target, name, receiver),
    });
    Object.defineProperty(state, 'rpc', { value: guarded, writable: false, configurable: false });
  }

  onCollected(files: File[]): void {
    for (const task of files.flatMap((file) => getTasks(file))) this.#tasks.set(task.id, task);
    for (const test of files.flatMap((file) => getTests(file))) {
      if (!test.location)
        setFn(test, () => {
          throw new Error(DEFINED_OUTSIDE);
        });
    }
  }

  async runTask(test: Test): Promise<void> {
    try {
      await getFn(test)();
      this.#completed.add(test);
    } catch (error) {
      this.#failures.set(test, error);
      throw error;
    }
  }

  override async onAfterRunTask(test: Test): Promise<void> {
    await super.onAfterRunTask(test);
    const result = test.result;
    if (result?.state === 'pass' && (!this.#completed.has(test) || test.fails)) {
      const failure = this.#failures.get(test);
      result.state = 'fail';
      result.errors = [processError(failure === undefined ? new Error(TAMPERED) : failure)];
      if (result.state !== 'fail') throw new Error(`${TAMPERED} (test "${test.name}")`);
    }
    if (result?.state === 'pass' && this.#gradingKey) test.meta.verdict = signPass(this.#gradingKey, test.id);
    // vitest reports a finished test a little later, in a batch: nothing may change it meanwhile.
    if (result) Object.freeze(result.errors);
    Object.freeze(result);
    for (const field of ['result', 'mode', 'fails'] as const) {
      Object.defineProperty(test, field, { value: test[field], writable: false, configurable: false });
    }
  }
}
