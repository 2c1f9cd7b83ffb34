import { gradeInPage } from '../../grading/in-page/run-grader.ts';
import { DEFAULT_SEED } from '../../grading/results.ts';
import { compiledCourseFiles } from './compiled-course-files.ts';
import { gradeInWorker, prepareExercise, type WorkerHost } from './grade-in-worker.ts';
import { loadGraderPackages } from './grader-packages.ts';
import type { Connect, FromWorker, ToWorker } from './protocol.ts';

/**
 * The grading Worker's entry. It serves exactly one learner run: the page
 * starts it ahead of time, has it load and rehearse (warm), sends one run, and
 * terminates it when the outcome arrives, so no run can change another (the
 * isolation vitest gets from a fresh process per run). The page also
 * terminates it when a run exceeds its time budget: a `while (true)` cannot be
 * stopped any other way.
 */

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Connect>) => void) | null;
  addEventListener(type: 'error' | 'unhandledrejection', listener: (event: Event) => void): void;
};

// An error the learner's code throws outside any test (a timer firing after its
// test ended, an unawaited rejection) is not a crash of this Worker: vitest's
// grading report leaves such errors out too, so they must not fail the run here.
for (const type of ['error', 'unhandledrejection'] as const) {
  scope.addEventListener(type, (event) => event.preventDefault());
}

/** What a learner reads when their code calls self.close() (or close()) in the grading Worker. */
export const CLOSE_REFUSED =
  'Your code called self.close(), which would end the browser worker that grades it, so the call was ' +
  'refused. Code under test must not close the environment it runs in: remove the call.';

// self.close() would end this Worker silently: no error reaches the page, and the run would only end at
// its time budget, naming nothing. Refused before any learner code loads, with an error the test that
// made the call fails with, as code calling a function that does not exist fails under vitest in Node.
// Replaced wherever the Worker's scope has it (a global scope's operations are its own properties, not
// its prototype's) and locked, so no learner code can reach the original: it is not kept anywhere.
for (let owner: object | null = self; owner; owner = Object.getPrototypeOf(owner)) {
  if (!Object.hasOwn(owner, 'close')) continue;
  Object.defineProperty(owner, 'close', {
    value: function close() {
      throw new Error(CLOSE_REFUSED);
    },
    writable: false,
    configurable: false,
  });
}

const host: WorkerHost = {
  compiledCourseFiles,
  loadPackages: loadGraderPackages,
  grade: gradeInPage,
};

async function handle(message: ToWorker, reply: (message: FromWorker) => void): Promise<void> {
  if (message.type === 'warm') {
    // Warming is an optimisation: a failure here shows up, with its cause, in the next run.
    await prepareExercise(message.manifest, host).catch(() => {});
    if (message.rehearsal) {
      const rehearsal = { manifest: message.manifest, files: message.rehearsal, seed: DEFAULT_SEED };
      await gradeInWorker(rehearsal, host).catch(() => {});
    }
    return;
  }
  const { id } = message;
  const outcome = await gradeInWorker(message, host, {
    running: () => reply({ type: 'running', id }),
    testStarted: (test) => reply({ type: 'test-started', id, test }),
    testFinished: () => reply({ type: 'test-finished', id }),
  }).catch((error: unknown) => ({
    kind: 'runner-error' as const,
    message: `the grading worker failed: ${error instanceof Error ? error.message : String(error)}`,
  }));
  reply({ type: 'done', id, outcome });
}

// The page's first message hands over the private channel. The reply function is bound now,
// before any learner code loads, so replacing MessagePort.prototype.postMessage later changes nothing.
scope.onmessage = (event) => {
  const [port] = event.ports;
  if (event.data?.type !== 'connect' || !port) return;
  scope.onmessage = null;
  const reply: (message: FromWorker) => void = MessagePort.prototype.postMessage.bind(port);
  let queue = Promise.resolve();
  port.onmessage = (request: MessageEvent<ToWorker>) => {
    queue = queue.then(() => handle(request.data, reply));
  };
};
