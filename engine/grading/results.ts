/**
 * The one result format every runtime produces (vitest in Node, vitest inside a
 * WebContainer, the in-page Worker runner), and the per-task view built from it.
 * Pure TypeScript: no Node or DOM APIs, so the site and the CLI share it.
 */

export type TestStatus = 'pass' | 'fail' | 'skip';

export interface TestResult {
  /** The manifest task this test belongs to (from its `task N: ...` describe block). */
  task: number;
  name: string;
  status: TestStatus;
  message?: string;
  expected?: string;
  actual?: string;
  /** Why a skipped test did not run here, e.g. it needs the simulation and this run uses real servers. */
  note?: string;
  durationMs: number;
}

export type Runtime = 'node' | 'webcontainer' | 'worker';

/** The seed every runtime uses unless a run is replayed with another, so they draw the same inputs. */
export const DEFAULT_SEED = 20261127;

export interface GradeReport {
  exercise: string;
  runtime: Runtime;
  seed: number;
  tests: TestResult[];
  /**
   * Failures outside any test, e.g. the learner's module threw while loading or
   * did not compile. When present, no task can pass.
   */
  errors: string[];
  /** Where in the learner's files those errors were thrown, when the runtime could tell. */
  errorPlaces?: ErrorPlace[];
}

/** A place in a learner's file: its path from the course root, line and column counted from 1 as editors do. */
export interface ErrorPlace {
  path: string;
  line: number;
  column: number;
  message: string;
}

/** A finished test as every runner describes it, before it is mapped to a task. */
export interface RawTest {
  /** Names of the enclosing describe blocks, outermost first. */
  suites: string[];
  name: string;
  state: TestStatus;
  errors: ReadonlyArray<{ message: string; expected?: unknown; actual?: unknown }>;
  /** The reason a skipped test gave (`context.skip(note)`). */
  note?: string;
  durationMs: number;
}

const taskHeading = /^task (\d+):/i;

// ANSI colour codes come with @vitest/expect's diffs; results are read by people and the UI.
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
export const stripAnsi = (text: string): string => text.replace(ansi, '');

/** The task number a test belongs to, or an error naming the test: every test must belong to a task. */
export function taskOf(suites: readonly string[], name: string): number {
  const heading = suites.map((suite) => taskHeading.exec(suite)).find((match) => match !== null);
  if (!heading?.[1]) throw new Error(`grader test "${name}" is not inside a "task N: ..." describe block`);
  return Number(heading[1]);
}

export function toTestResult(raw: RawTest): TestResult {
  const result: TestResult = {
    task: taskOf(raw.suites, raw.name),
    name: raw.name,
    status: raw.state,
    durationMs: Math.round(raw.durationMs * 100) / 100,
  };
  const error = raw.errors[0];
  if (raw.state === 'fail' && error) {
    result.message = explainTimeout(stripAnsi(error.message));
    if (error.expected !== undefined) result.expected = stripAnsi(String(error.expected));
    if (error.actual !== undefined) result.actual = stripAnsi(String(error.actual));
  }
  if (raw.state === 'skip' && raw.note) result.note = raw.note;
  return result;
}

/**
 * `not-graded`: every test of the task was skipped in this run (they need the
 * simulation and the run uses real servers). Neither a pass nor a failure: the
 * task says nothing about the code here, and is graded by the default run.
 */
export type TaskStatus = 'pass' | 'fail' | 'not-graded';

export interface TaskOutcome {
  number: number;
  title: string;
  status: TaskStatus;
  passed: number;
  total: number;
  /** Tests of this task that were skipped in this run. */
  skipped: number;
  /** Why the task fails: its first failing test, or the load error that stopped every test. */
  failure?: { test?: string; message: string; expected?: string; actual?: string };
}

/**
 * Groups a report by the manifest's tasks. A task passes only when every test of it
 * ran and passed. Any failure fails it, and so does a test skipped without saying
 * why (graders never do that; code that skips tests to pass is cheating). A task
 * whose tests were all skipped with a reason (they need the simulation and the run
 * uses real servers), with nothing failing to load, is not graded here.
 */
export function taskOutcomes(
  report: GradeReport,
  tasks: ReadonlyArray<{ number: number; title: string }>,
): TaskOutcome[] {
  return tasks.map((task) => {
    const tests = report.tests.filter((test) => test.task === task.number);
    const passed = tests.filter((test) => test.status === 'pass').length;
    const skipped = tests.filter((test) => test.status === 'skip').length;
    const loadError = report.errors[0];
    // A run that stopped (an error outside the tests, a crash) explains its skipped tests itself.
    const firstFailure =
      tests.find((test) => test.status === 'fail') ??
      (loadError
        ? undefined
        : unexplainedSkip(tests.find((test) => test.status === 'skip' && test.note === undefined)));
    const clean = loadError === undefined && !firstFailure;
    const allSkipped = tests.length > 0 && skipped === tests.length;
    const outcome: TaskOutcome = {
      number: task.number,
      title: task.title,
      status: clean && passed > 0 ? 'pass' : clean && allSkipped ? 'not-graded' : 'fail',
      passed,
      total: tests.length,
      skipped,
    };
    if (firstFailure) {
      outcome.failure = {
        test: firstFailure.name,
        message: firstFailure.message ?? 'the test failed without a message',
        ...(firstFailure.expected !== undefined && { expected: firstFailure.expected }),
        ...(firstFailure.actual !== undefined && { actual: firstFailure.actual }),
      };
    } else if (loadError) {
      outcome.failure = { message: loadError };
    } else if (tests.length === 0) {
      outcome.failure = { message: 'no test of this task ran' };
    }
    return outcome;
  });
}

function unexplainedSkip(test: TestResult | undefined): TestResult | undefined {
  return (
    test && {
      ...test,
      status: 'fail',
      message:
        `The grader's test "${test.name}" was skipped, and a task passes only when every one of its tests ` +
        'ran and passed. Graders never skip tests: does your code try to change how it is graded?',
    }
  );
}

/** The results without timings: what must be identical across runtimes and across runs with one seed. */
export function comparable(report: GradeReport): Array<Omit<TestResult, 'durationMs'>> {
  return report.tests.map(({ durationMs: _ignored, ...rest }) => rest);
}

/** The grader test that was running, for a run that had to be stopped. */
export interface RunningTest {
  /** The manifest task it belongs to, when it sits in a "task N: ..." block. */
  task?: number;
  name: string;
}

/** "task 2: a cache miss reads PostgreSQL once", or the bare name of a test outside any task. */
export function describeRunningTest(test: RunningTest): string {
  return test.task === undefined ? `"${test.name}"` : `task ${test.task}, "${test.name}"`;
}

/** What a learner reads when their code was stopped at a time limit, in every runtime. */
export function runawayMessage(limitMs: number): string {
  return (
    `Your code was still running after ${limitMs / 1000} s, so it was stopped. Look for a loop that never ` +
    'ends (a while (true) whose condition never changes) or code that keeps allocating memory (an array or ' +
    'Map that grows on every call and is never emptied).'
  );
}

/** What a learner reads when a test's call never settled, in every runtime. */
export function neverSettledMessage(): string {
  return (
    'This call to your code never settled: the test was still waiting for it when nothing was left that ' +
    'could ever finish it, so it failed now instead of waiting forever. Look for a promise that is never ' +
    'resolved or rejected (a new Promise whose resolve is not called on some path), an await on an ' +
    'event or callback that never comes, or a timer that only simulated time can fire (setTimeout with ' +
    'a delay: simulated time moves only when the grader moves it).'
  );
}

/**
 * What a learner reads when a test was still busy at its real time limit (vitest's "Test timed out
 * in 5000ms"): unlike a call that never settles, the code kept scheduling work without finishing.
 */
export function timedOutMessage(limitMs: number, hook = false): string {
  return (
    `This ${hook ? 'part of the grader' : 'test'} was still running after ${limitMs / 1000} s, so it was ` +
    'stopped. On the simulations graders never wait for real time, so your code kept the event loop busy ' +
    'without finishing: ' +
    'look for work that schedules itself again and again (a setImmediate, setInterval or real timer that ' +
    're-arms itself, a retry loop with no limit) or an await on a real timer that is far too long.'
  );
}

const vitestTimeout = /^(Test|Hook) timed out in (\d+)ms\./;

/** vitest's timeout message, in the course's words (other messages unchanged). */
export function explainTimeout(message: string): string {
  const match = vitestTimeout.exec(message);
  if (!match) return message;
  return timedOutMessage(Number(match[2]), match[1] === 'Hook');
}
