import { DEFAULT_SEED, type RunningTest } from '../grading/results.ts';
import type { RunInProgress } from './crash-marker.ts';
import {
  type GradeOutcome,
  type GradeRequest,
  type Runner,
  ranOutOfMemory,
  stoppedAfter,
  stoppedByLearner,
  type WarmUpRequest,
} from './runner.ts';
import { realTimers, type Timers } from './timers.ts';
import type { FromWorker, ToWorker } from './worker/protocol.ts';
import { startGraderWorker } from './worker/start-grader-worker.ts';

/**
 * The in-page runner: grades in a Web Worker (worker/grader-worker.ts), a fresh
 * one for every run, so that nothing a run does (a replaced built-in, a
 * listener, a package's prototype) can change the next one: the isolation
 * vitest gets from a fresh process. To keep runs fast, the next Worker is
 * started as soon as the page knows the exercise and after every run, and
 * warmed while the learner edits: it loads the packages and the grader, then
 * rehearses by grading the course's own code (the reference solution) once, so
 * its JIT is warm for whatever the learner wrote.
 * A wall-clock budget starts when the learner's code starts running; past it
 * the Worker is terminated and the run is reported as stopped. Runs are served
 * one at a time, in order.
 */

/** The page's handle on one grading Worker. */
export interface WorkerPort {
  post(message: ToWorker): void;
  terminate(): void;
}

export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The Worker failed outside any run's control (its script did not load, it crashed). */
  crash(reason: string): void;
  /** The process the Worker ran in ended: the learner's code ran it out of memory (grading-frame/). */
  lost(): void;
}

export type SpawnWorker = (events: WorkerEvents) => WorkerPort;

export const spawnGraderWorker: SpawnWorker = (events) => {
  // Requests and results travel on a private channel. The Worker's own channel is open to the
  // learner's code running inside, so nothing posted there is read: a forged result cannot arrive.
  const channel = new MessageChannel();
  const worker = startGraderWorker(channel.port2, events.crash);
  channel.port1.onmessage = (event: MessageEvent<FromWorker>) => events.message(event.data);
  return {
    post: (message) => channel.port1.postMessage(message),
    terminate: () => {
      worker.terminate();
      channel.port1.close();
    },
  };
};

export interface WorkerRunnerOptions {
  spawn?: SpawnWorker;
  /** How long the learner's code may run, in ms (default 10 s). */
  timeLimitMs?: number;
  /** How long loading the grader and its packages may take before the code runs (default 60 s). */
  loadLimitMs?: number;
  /** Hears where each run is (its exercise and grader test), and undefined once it ended: for a crash marker. */
  progress?: (run: RunInProgress | undefined) => void;
  timers?: Timers;
}

export interface WorkerRunner extends Runner {
  /** Starts the next Worker and warms it: packages and grader loaded, then a rehearsal graded once. */
  warmUp(request: WarmUpRequest): void;
}

interface ActiveRun {
  port: WorkerPort;
  id: number;
  running(): void;
  /** The grader test now running, or none (loading, between tests). */
  testing(test: RunningTest | undefined): void;
  /** The learner stopped the run: it ends as the time limit ends it, naming the test that ran. */
  stop(): void;
  /** Its Worker's process died: the learner's code ran it out of memory. */
  lost(): void;
  done(outcome: GradeOutcome): void;
}

export function createWorkerRunner(options: WorkerRunnerOptions = {}): WorkerRunner {
  const spawn = options.spawn ?? spawnGraderWorker;
  const timers = options.timers ?? realTimers;
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const loadLimitMs = options.loadLimitMs ?? 60_000;
  /** The Worker waiting for the next run, started and warmed (or still warming) ahead of it. */
  let spare: WorkerPort | undefined;
  /** How to warm the next Worker: the exercise, and the course's code to rehearse with. */
  let warming: ToWorker | undefined;
  let active: ActiveRun | undefined;
  let disposed = false;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  function spawnWorker(): WorkerPort {
    const port: WorkerPort = spawn({
      message: (message) => {
        if (active?.port !== port || message.id !== active.id) return;
        if (message.type === 'running') active.running();
        else if (message.type === 'test-started') active.testing(message.test);
        else if (message.type === 'test-finished') active.testing(undefined);
        else active.done(message.outcome);
      },
      lost: () => {
        if (active?.port === port) active.lost();
        else if (spare === port) spare = undefined;
      },
      crash: (reason) => {
        if (active?.port === port) {
          active.done({ kind: 'runner-error', message: `the grading worker failed: ${reason}` });
        } else if (spare === port) {
          port.terminate();
          spare = undefined;
        }
      },
    });
    if (warming) port.post(warming);
    return port;
  }

  function warm({ manifest, files, rehearsal = files }: WarmUpRequest) {
    if (disposed) return;
    const next: ToWorker = { type: 'warm', manifest, ...(rehearsal && { rehearsal }) };
    const sameExercise = warming?.manifest.id === manifest.id;
    warming = next;
    if (spare && sameExercise) return;
    spare?.terminate();
    spare = spawnWorker();
  }

  function run(request: GradeRequest): Promise<GradeOutcome> {
    if (disposed) return Promise.resolve({ kind: 'runner-error', message: 'the runner was closed' });
    warming ??= { type: 'warm', manifest: request.manifest };
    const port = spare ?? spawnWorker();
    spare = undefined;
    const id = nextId++;
    return new Promise((resolve) => {
      let timer = timers.setTimeout(
        () =>
          finish({
            kind: 'runner-error',
            message: `the grader did not load within ${loadLimitMs / 1000} s: check your connection and run again`,
          }),
        loadLimitMs,
      );
      let started = false;
      let testing: RunningTest | undefined;
      const finish = (outcome: GradeOutcome) => {
        timers.clearTimeout(timer);
        active = undefined;
        port.terminate();
        options.progress?.(undefined);
        if (!disposed) spare ??= spawnWorker();
        resolve(outcome);
      };
      // Only the first signal starts the budget: nothing may extend it.
      const running = () => {
        if (started) return;
        started = true;
        timers.clearTimeout(timer);
        timer = timers.setTimeout(() => finish(stoppedAfter(timeLimitMs, testing)), timeLimitMs);
      };
      const setTesting = (test: RunningTest | undefined) => {
        testing = test && { ...(test.task !== undefined && { task: test.task }), name: String(test.name) };
        options.progress?.({ exercise: request.manifest.id, ...(testing && { test: testing }) });
      };
      active = {
        port,
        id,
        running,
        testing: setTesting,
        stop: () => finish(stoppedByLearner(testing)),
        lost: () => finish(ranOutOfMemory(testing)),
        done: finish,
      };
      const { manifest, files, seed = DEFAULT_SEED } = request;
      options.progress?.({ exercise: manifest.id });
      port.post({ type: 'grade', id, manifest, files, seed });
    });
  }

  return {
    kind: 'worker',
    grade(request) {
      const result = queue.then(() => run(request));
      queue = result;
      return result;
    },
    warmUp: warm,
    stop: () => active?.stop(),
    dispose() {
      disposed = true;
      spare?.terminate();
      spare = undefined;
      active?.done({ kind: 'runner-error', message: 'the runner was closed before the run finished' });
    },
  };
}
