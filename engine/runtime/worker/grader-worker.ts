import { gradeInPage } from '../../grading/in-page/run-grader.ts';
import { compiledCourseFiles } from './compiled-course-files.ts';
import { gradeInWorker, prepareExercise, type WorkerHost } from './grade-in-worker.ts';
import { loadGraderPackages } from './grader-packages.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { guardRealm } from './realm-guard.ts';

/**
 * The grading Worker's entry: grades one request at a time and posts the
 * outcome back, saying whether this Worker is still fit for the next run. The
 * page terminates it when a run exceeds its time budget (a `while (true)`
 * cannot be stopped any other way) or leaves it unfit, and starts a new one.
 */

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  addEventListener(type: 'error' | 'unhandledrejection', listener: (event: Event) => void): void;
};

// An error the learner's code throws outside any test (a timer firing after its
// test ended, an unawaited rejection) is not a crash of this Worker: vitest's
// grading report leaves such errors out too, so they must not fail the run here.
for (const type of ['error', 'unhandledrejection'] as const) {
  scope.addEventListener(type, (event) => event.preventDefault());
}

// Before any run, so the timers the grading packages and the learner's code start are tracked.
const realm = guardRealm();

const host: WorkerHost = {
  compiledCourseFiles,
  loadPackages: loadGraderPackages,
  grade: gradeInPage,
};

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'warm') {
    // Warming is an optimisation: a failure here shows up, with its cause, in the next run.
    await prepareExercise(message.manifest, host).catch(() => {});
    return;
  }
  const { id } = message;
  realm.begin();
  const outcome = await gradeInWorker(message, host, () => scope.postMessage({ type: 'running', id })).catch(
    (error: unknown) => ({
      kind: 'runner-error' as const,
      message: `the grading worker failed: ${error instanceof Error ? error.message : String(error)}`,
    }),
  );
  const reusable = realm.end() && outcome.kind !== 'runner-error';
  scope.postMessage({ type: 'done', id, outcome, reusable });
}

let queue = Promise.resolve();
scope.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
