import { createHmac, randomBytes } from 'node:crypto';

/**
 * Under vitest, code under test shares its thread with the runner, and vitest's channel to the
 * main process is on a global (`__vitest_worker__.rpc`): learner code can send a "pass" for any
 * test. So the grader runner signs each passing verdict with a key the grading reporter made for
 * this run, and the reporter counts a pass only with a valid signature. The key reaches the test
 * threads in their environment, and the runner takes it out before any learner code loads.
 */

const GRADING_KEY = 'RJ_GRADING_KEY';

/**
 * The reporter's side: the run's key, handed to the test threads vitest starts next. A run with two
 * grading reporters (the WebContainer's: one prints, one writes the results file) shares one key.
 */
export function issueGradingKey(env: NodeJS.ProcessEnv = process.env): string {
  env[GRADING_KEY] ??= randomBytes(32).toString('hex');
  return env[GRADING_KEY];
}

/** The runner's side: the key, removed from the thread's environment before learner code can read it. */
export function takeGradingKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = env[GRADING_KEY];
  delete env[GRADING_KEY];
  return key;
}

export function signPass(key: string, testId: string): string {
  return createHmac('sha256', key).update(`pass ${testId}`).digest('hex');
}

export const UNSIGNED_PASS =
  'This test was reported as passing by something other than the grader (the code under test sent ' +
  'vitest a result of its own), so it counts as failed. Only the harness may be imported.';

declare module '@vitest/runner' {
  interface TaskMeta {
    /** The grader runner's signature on a pass (signPass). */
    verdict?: string;
  }
}
