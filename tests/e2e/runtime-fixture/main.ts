import type { GradeOutcome, GradeRequest, WarmUpRequest } from '../../../engine/runtime/runner.ts';
import { indexedDbInstallCache } from '../../../engine/runtime/webcontainer/install-cache.ts';
import { createWorkerRunner, type WorkerRunnerOptions } from '../../../engine/runtime/worker-runner.ts';

/**
 * The page the runtime end-to-end tests drive: the Worker runner exactly as the
 * site uses it, and the WebContainer's IndexedDB install cache.
 */

export interface GradingFixture {
  /** Replaces the runner (a fresh page-side runner with these options, no Worker yet). */
  reset(options: Pick<WorkerRunnerOptions, 'timeLimitMs'>): void;
  /** Warms the next Worker as the site does, rehearsing with the solution. */
  warmUp(request: WarmUpRequest): void;
  /** Grades and reports how long it took, from the call to the outcome. */
  grade(request: GradeRequest): Promise<{ outcome: GradeOutcome; elapsedMs: number }>;
  installCache: ReturnType<typeof indexedDbInstallCache>;
}

let runner = createWorkerRunner();

const fixture: GradingFixture = {
  reset(options) {
    runner.dispose();
    runner = createWorkerRunner(options);
  },
  warmUp(request) {
    runner.warmUp(request);
  },
  async grade(request) {
    const started = performance.now();
    const outcome = await runner.grade(request);
    return { outcome, elapsedMs: performance.now() - started };
  },
  installCache: indexedDbInstallCache('runtime-fixture'),
};

(window as unknown as { gradingFixture: GradingFixture }).gradingFixture = fixture;
document.body.dataset.ready = 'true';
