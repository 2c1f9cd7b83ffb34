import { describeRunningTest, type RunningTest } from '../grading/results.ts';
import { OUT_OF_MEMORY_ADVICE } from './runner.ts';

/**
 * The last resort when grading shares the page's process (no grading frame):
 * learner code that exhausts the memory ends the whole tab, and nothing in the
 * page lives to say why. So each run leaves a marker in sessionStorage (kept
 * by the browser, outside the page's process, for as long as the tab lives)
 * and removes it when it ends. A page that loads and finds a marker knows the
 * last run crashed the tab, and says so on that exercise.
 */

export interface RunInProgress {
  exercise: string;
  /** The grader test that was running, when known. */
  test?: RunningTest;
}

export interface CrashMarker {
  /** A run is in progress (called again as it reaches each test). */
  mark(run: RunInProgress): void;
  /** The run ended, whichever way. */
  clear(): void;
  /** The run a crash interrupted, if the last page left one; taken, so it is told once. */
  takeLeftover(): RunInProgress | undefined;
}

const MARKER_KEY = 'request-journey:run-in-progress';

/** A marker in sessionStorage; with no working storage there is none (and nothing else breaks). */
export function sessionCrashMarker(storage: () => Storage = () => sessionStorage): CrashMarker {
  const attempt = <T>(action: () => T): T | undefined => {
    try {
      return action();
    } catch {
      return undefined;
    }
  };
  return {
    mark: (run) => attempt(() => storage().setItem(MARKER_KEY, JSON.stringify(run))),
    clear: () => attempt(() => storage().removeItem(MARKER_KEY)),
    takeLeftover() {
      const saved = attempt(() => storage().getItem(MARKER_KEY));
      if (!saved) return undefined;
      attempt(() => storage().removeItem(MARKER_KEY));
      const run = attempt(() => JSON.parse(saved) as Partial<RunInProgress>);
      if (typeof run?.exercise !== 'string') return undefined;
      const test = run.test && typeof run.test.name === 'string' ? run.test : undefined;
      return { exercise: run.exercise, ...(test && { test }) };
    },
  };
}

/** What the learner reads on the exercise whose run crashed the tab. */
export function crashedRunMessage(run: RunInProgress): string {
  const during = run.test ? `, while the grader ran ${describeRunningTest(run.test)}` : '';
  return (
    `Your last run of this exercise crashed the page${during}: your code used more memory than the page ` +
    `can give it. ${OUT_OF_MEMORY_ADVICE} Your code was kept: fix it, then run the tests again.`
  );
}
