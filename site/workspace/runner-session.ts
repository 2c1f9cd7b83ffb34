import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import {
  browserEnvironment,
  chooseRunner,
  type RunnerNotice,
  type RunnerPreference,
  sessionBootVerdicts,
} from '../../engine/runtime/choose-runner.ts';
import { crashedRunMessage } from '../../engine/runtime/crash-marker.ts';
import type {
  GradeOutcome,
  GradeRequest,
  Runner,
  RunnerKind,
  WarmUpRequest,
} from '../../engine/runtime/runner.ts';
import type { WebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';
import { pageCrashMarker } from './page-worker-runner.ts';
import { workerRunner } from './prepare.ts';

/**
 * Which runner grades this page's runs, as the learner prefers: the choice is
 * made (chooseRunner) when the workspace opens and again when the preference
 * changes, and each chosen runner is warmed up for the exercise. Runs wait
 * for a choice in progress. The UI hears about every change of state.
 */

/** How the workspace names each runner. */
export const runnerLabels: Record<RunnerKind, string> = {
  webcontainer: 'WebContainer (Node.js)',
  worker: 'Web Worker (this page)',
};

export interface RunnerState {
  preference: RunnerPreference;
  /** The runner in use; undefined while one is being chosen (a WebContainer booting). */
  active?: RunnerKind;
  /** Why the WebContainer is not used although it could have been. */
  notice?: RunnerNotice;
  /** The last run of this exercise crashed the tab (found by its crash marker): what to tell the learner. */
  crashed?: string;
}

export interface SessionRun {
  outcome: GradeOutcome;
  runner: RunnerKind;
  /** How long the run waited for a runner to be chosen (a WebContainer booting), apart from grading. */
  waitedMs: number;
}

export interface RunnerSession {
  state(): RunnerState;
  setPreference(preference: RunnerPreference): void;
  grade(request: GradeRequest): Promise<SessionRun>;
  /** Stops the run in progress (the Stop button). */
  stop(): void;
  /** Raw output of WebContainer runs, for the terminal panel. */
  onOutput(listener: (chunk: string) => void): void;
  dispose(): void;
}

/**
 * Starts choosing at once (the WebContainer's 5 s budget runs while the rest
 * of the workspace loads). `warmUp` says what to prepare once a runner is chosen.
 */
export function createRunnerSession(
  preference: RunnerPreference,
  warmUp: () => Promise<WarmUpRequest>,
  onChange: (state: RunnerState) => void,
): RunnerSession {
  let state: RunnerState = { preference };
  let chosen: Promise<Runner>;
  let runner: Runner | undefined;
  const outputListeners = new Set<(chunk: string) => void>();
  const verdicts = sessionBootVerdicts();
  // The run a crash of this tab interrupted: told on its exercise's page.
  const leftover = pageCrashMarker.takeLeftover();
  if (leftover) {
    void warmUp().then(({ manifest }) => {
      if (leftover.exercise === manifest.id) update({ ...state, crashed: crashedRunMessage(leftover) });
    });
  }

  function choose(): void {
    runner?.dispose();
    runner = undefined;
    const wanted = state.preference;
    performance.mark('workspace:runner-choice');
    chosen = chooseRunner({
      preference: wanted,
      environment: browserEnvironment(),
      webContainer: lazyWebContainerRunner,
      // A Worker warmed before the workspace opened (prepare.ts), if the learner's intent was seen.
      worker: workerRunner,
      verdicts,
    }).then((choice) => {
      // A newer preference replaced this choice while it was being made.
      if (state.preference !== wanted) {
        choice.runner.dispose();
        return chosen;
      }
      runner = choice.runner;
      runner.onOutput?.((chunk) => {
        for (const listener of outputListeners) listener(chunk);
      });
      const chosenRunner = runner;
      void warmUp().then((request) => chosenRunner.warmUp?.(request));
      // For the end-to-end tests: how long choosing took (the fallback must come within 5 s).
      performance.measure('workspace:runner-choice', 'workspace:runner-choice');
      update({ ...state, preference: wanted, active: runner.kind, notice: choice.notice });
      return runner;
    });
  }

  function update(next: RunnerState): void {
    state = next;
    onChange(state);
  }

  choose();
  return {
    state: () => state,
    setPreference(next) {
      if (next === state.preference) return;
      update({ preference: next, ...(state.crashed && { crashed: state.crashed }) });
      choose();
    },
    async grade(request) {
      const asked = performance.now();
      const used = await chosen;
      const waitedMs = performance.now() - asked;
      const outcome = await used.grade(request);
      // A new run answers what the crash left to say.
      if (state.crashed) {
        const { crashed: _told, ...rest } = state;
        update(rest);
      }
      return { outcome, runner: used.kind, waitedMs };
    },
    stop: () => runner?.stop?.(),
    onOutput: (listener) => void outputListeners.add(listener),
    dispose() {
      runner?.dispose();
      runner = undefined;
    },
  };
}

/**
 * The WebContainer runner, downloaded only when it is tried: its code (a
 * TypeScript transpiler for the compile check among it) is wasted on
 * browsers that grade with the Worker.
 */
function lazyWebContainerRunner(): WebContainerRunner {
  const loaded = import('../../engine/runtime/webcontainer-runner.ts').then(({ createWebContainerRunner }) =>
    createWebContainerRunner({ courseFiles: bundledCourseFiles }),
  );
  return {
    kind: 'webcontainer',
    // Downloading the runner counts against the boot budget: the learner waits for both.
    async start(timeoutMs) {
      const began = performance.now();
      const runner = await loaded;
      await runner.start(Math.max(0, timeoutMs - (performance.now() - began)));
    },
    grade: async (request) => (await loaded).grade(request),
    stop: () => void loaded.then((runner) => runner.stop?.()),
    warmUp: (request) => void loaded.then((runner) => runner.warmUp?.(request)),
    onOutput(listener) {
      const unsubscribe = loaded.then((runner) => runner.onOutput?.(listener));
      return () => void unsubscribe.then((stop) => stop?.());
    },
    dispose: () => void loaded.then((runner) => runner.dispose()),
  };
}
