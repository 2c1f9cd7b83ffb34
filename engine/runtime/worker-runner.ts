import { DEFAULT_SEED } from '../grading/results.ts';
import { type GradeOutcome, type GradeRequest, type Runner, stoppedAfter } from './runner.ts';
import { realTimers, type Timers } from './timers.ts';
import type { FromWorker, ToWorker } from './worker/protocol.ts';

/**
 * The in-page runner: grades in a Web Worker (worker/grader-worker.ts). A
 * Worker serves run after run, so its JIT stays warm, for as long as each run
 * leaves its realm as it found it (worker/realm-guard.ts): nothing a run
 * leaves behind may change the next one, as vitest gives every test file a
 * fresh isolate. Otherwise, and after a crash or a stopped run, the Worker is
 * terminated and a fresh one started and warmed (packages and grader loaded)
 * for the next run.
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
}

export type SpawnWorker = (events: WorkerEvents) => WorkerPort;

export const spawnGraderWorker: SpawnWorker = (events) => {
  const worker = new Worker(new URL('./worker/grader-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => events.message(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    events.crash(event.message || 'the grading worker could not start');
  };
  return { post: (message) => worker.postMessage(message), terminate: () => worker.terminate() };
};

export interface WorkerRunnerOptions {
  spawn?: SpawnWorker;
  /** How long the learner's code may run, in ms (default 10 s). */
  timeLimitMs?: number;
  /** How long loading the grader and its packages may take before the code runs (default 60 s). */
  loadLimitMs?: number;
  timers?: Timers;
}

export interface WorkerRunner extends Runner {
  /** Starts a Worker and loads the packages and grader this exercise needs, so the first run is warm. */
  warmUp(request: Pick<GradeRequest, 'manifest'>): void;
}

interface ActiveRun {
  port: WorkerPort;
  id: number;
  running(): void;
  done(outcome: GradeOutcome, reusable?: boolean): void;
}

export function createWorkerRunner(options: WorkerRunnerOptions = {}): WorkerRunner {
  const spawn = options.spawn ?? spawnGraderWorker;
  const timers = options.timers ?? realTimers;
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const loadLimitMs = options.loadLimitMs ?? 60_000;
  /** The Worker waiting for the next run: a fresh one, possibly still loading, or one a run left fit. */
  let spare: WorkerPort | undefined;
  let active: ActiveRun | undefined;
  let disposed = false;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  function spawnWorker(): WorkerPort {
    const port: WorkerPort = spawn({
      message: (message) => {
        if (active?.port !== port || message.id !== active.id) return;
        if (message.type === 'running') active.running();
        else active.done(message.outcome, message.reusable);
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
    return port;
  }

  function warm({ manifest }: Pick<GradeRequest, 'manifest'>) {
    if (disposed) return;
    spare ??= spawnWorker();
    spare.post({ type: 'warm', manifest });
  }

  function run(request: GradeRequest): Promise<GradeOutcome> {
    if (disposed) return Promise.resolve({ kind: 'runner-error', message: 'the runner was closed' });
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
      const finish = (outcome: GradeOutcome, reusable = false) => {
        timers.clearTimeout(timer);
        active = undefined;
        if (reusable && !disposed) {
          spare?.terminate(); // a cold Worker warmed meanwhile: this one is hot
          spare = port;
        } else port.terminate();
        warm(request);
        resolve(outcome);
      };
      const running = () => {
        timers.clearTimeout(timer);
        timer = timers.setTimeout(() => finish(stoppedAfter(timeLimitMs)), timeLimitMs);
      };
      active = { port, id, running, done: finish };
      const { manifest, files, seed = DEFAULT_SEED } = request;
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
    dispose() {
      disposed = true;
      spare?.terminate();
      spare = undefined;
      active?.done({ kind: 'runner-error', message: 'the runner was closed before the run finished' });
    },
  };
}
