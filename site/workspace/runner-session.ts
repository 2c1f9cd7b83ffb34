import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import {
  browserEnvironment,
  chooseRunner,
  type RunnerNotice,
  type RunnerPreference,
} from '../../engine/runtime/choose-runner.ts';
import type {
  GradeOutcome,
  GradeRequest,
  Runner,
  RunnerKind,
  WarmUpRequest,
} from '../../engine/runtime/runner.ts';
import type { WebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';
import { createWorkerRunner } from '../../engine/runtime/worker-runner.ts';

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
}

export interface RunnerSession {
  state(): RunnerState;
  setPreference(preference: RunnerPreference): void;
  grade(request: GradeRequest): Promise<{ outcome: GradeOutcome; runner: RunnerKind }>;
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

  function choose(): void {
    runner?.dispose();
    runner = undefined;
    const wanted = state.preference;
    performance.mark('workspace:runner-choice');
    chosen = chooseRunner({
      preference: wanted,
      environment: browserEnvironment(),
      webContainer: lazyWebContainerRunner,
      worker: () => createWorkerRunner(),
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
      update({ preference: wanted, active: runner.kind, notice: choice.notice });
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
      update({ preference: next });
      choose();
    },
    async grade(request) {
      const used = await chosen;
      return { outcome: await used.grade(request), runner: used.kind };
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
