import { getFn, type Test } from '@vitest/runner';
import { processError } from '@vitest/utils/error';
import { VitestTestRunner } from 'vitest/runners';

/**
 * The test runner of every grader project. vitest leaves its own module on a global
 * (`__vitest_index__`), so code under test can register hooks without importing anything:
 * an afterEach that rewrites failures as passes, a beforeEach that marks a test as expected
 * to fail, an aroundEach that never runs the test. Those hooks all act on the test's result
 * record. This runner keeps its own record instead: a grader test passes only if its body
 * ran to the end without throwing, and once a test has finished, its result is frozen so
 * that code running later cannot rewrite it either.
 */

const TAMPERED =
  'The code under test changed how this grader test is run or judged (through vitest itself), ' +
  'so it cannot pass. Remove any use of the test framework from your code: only the harness may be imported.';

export default class GraderRunner extends VitestTestRunner {
  /** Tests whose body ran to the end, and tests whose body threw, with what it threw. */
  readonly #completed = new WeakSet<Test>();
  readonly #failures = new WeakMap<Test, unknown>();

  async runTask(test: Test): Promise<void> {
    try {
      await getFn(test)();
      this.#completed.add(test);
    } catch (error) {
      this.#failures.set(test, error);
      throw error;
    }
  }

  async onAfterRunTask(test: Test): Promise<void> {
    await super.onAfterRunTask(test);
    const result = test.result;
    if (result?.state === 'pass' && (!this.#completed.has(test) || test.fails)) {
      const failure = this.#failures.get(test);
      result.state = 'fail';
      result.errors = [processError(failure === undefined ? new Error(TAMPERED) : failure)];
      if (result.state !== 'fail') throw new Error(`${TAMPERED} (test "${test.name}")`);
    }
    // vitest reports a finished test a little later, in a batch: nothing may change it meanwhile.
    if (result) Object.freeze(result.errors);
    Object.freeze(result);
    for (const field of ['result', 'mode', 'fails'] as const) {
      Object.defineProperty(test, field, { value: test[field], writable: false, configurable: false });
    }
  }
}
