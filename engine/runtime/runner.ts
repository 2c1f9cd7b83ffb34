import type { ExerciseManifest } from '../course/manifest.ts';
import {
  describeRunningTest,
  type GradeReport,
  type RunningTest,
  runawayMessage,
} from '../grading/results.ts';

/**
 * What the workspace UI needs from a grading runtime. Two implementations sit
 * behind it: a WebContainer running vitest, and the in-page Web Worker running
 * @vitest/runner. The UI only renders what these return.
 */

export type RunnerKind = 'webcontainer' | 'worker';

export interface GradeRequest {
  manifest: ExerciseManifest;
  /** The learner's editable files, by the manifest's editable name. */
  files: Record<string, string>;
  seed?: number;
}

/**
 * What to get ready for. `files` and `rehearsal` are the course's own code, never the learner's:
 * a runner may run them to warm up. `rehearsal` (the reference solution) runs every path the
 * grader has, so whatever the learner writes next finds the JIT warm.
 */
export interface WarmUpRequest {
  manifest: ExerciseManifest;
  /** The starter. */
  files: Record<string, string>;
  rehearsal?: Record<string, string>;
}

/** A place in the learner's code the editor should mark. Lines and columns count from 1. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** The editor's marks for a graded run: where the learner's code threw while it loaded, in its editable files. */
export function loadErrorDiagnostics(manifest: ExerciseManifest, report: GradeReport): Diagnostic[] {
  const folder = `exercises/${manifest.id}/`;
  return (report.errorPlaces ?? []).flatMap(({ path, ...place }) => {
    const file = path.slice(folder.length);
    return path.startsWith(folder) && manifest.files.editable.includes(file) ? [{ file, ...place }] : [];
  });
}

export type GradeOutcome =
  /** The grader ran; the report says which tests passed (a learner's import-time exception is in report.errors). */
  | { kind: 'graded'; report: GradeReport; diagnostics: Diagnostic[] }
  /** The learner's code did not compile: nothing ran, no test passed. */
  | { kind: 'compile-error'; diagnostics: Diagnostic[]; message: string }
  /**
   * The run exceeded its wall-clock budget (an infinite loop, runaway memory) and was stopped;
   * `test` is the grader test that was running, when the runner knows it.
   */
  | { kind: 'stopped'; reason: 'time-limit'; limitMs: number; message: string; test?: RunningTest }
  /**
   * The browser ended the process that graded the run because the learner's code used more memory than
   * it would give (only a runner grading in a process apart from the page survives to say so).
   */
  | { kind: 'stopped'; reason: 'out-of-memory'; message: string; test?: RunningTest }
  /** The learner stopped the run (the workspace's Stop button). */
  | { kind: 'stopped'; reason: 'learner'; message: string; test?: RunningTest }
  /** The grading machinery failed: not the learner's fault. */
  | { kind: 'runner-error'; message: string };

/**
 * A run stopped at its wall-clock budget. Both runaway cases end here: a loop
 * that never ends, and code that keeps allocating (the engine then spends its
 * time collecting garbage until the budget runs out).
 */
export function stoppedAfter(limitMs: number, test?: RunningTest): GradeOutcome {
  return {
    kind: 'stopped',
    reason: 'time-limit',
    limitMs,
    message: runawayMessage(limitMs),
    ...(test && { test }),
  };
}

/** Where to look when learner code ran out of memory. */
export const OUT_OF_MEMORY_ADVICE =
  'Look for a loop that keeps adding to an array or a Map (a push or set on every turn, nothing ever ' +
  'removed), or a loop that never ends while it allocates.';

/** What a learner reads when their code ran the grading process out of memory. */
export const OUT_OF_MEMORY_MESSAGE =
  'Your code used more memory than the page can give it, so the browser ended the process that graded ' +
  `it (the page itself is fine). ${OUT_OF_MEMORY_ADVICE}`;

/** A run that ran its grading process out of memory; `test` is the grader test that was running. */
export function ranOutOfMemory(test?: RunningTest): GradeOutcome {
  return { kind: 'stopped', reason: 'out-of-memory', message: OUT_OF_MEMORY_MESSAGE, ...(test && { test }) };
}

/** A run the learner stopped before it finished. */
export function stoppedByLearner(test?: RunningTest): GradeOutcome {
  return {
    kind: 'stopped',
    reason: 'learner',
    message: test
      ? `The run was stopped while the grader ran ${describeRunningTest(test)}.`
      : 'The run was stopped before the tests finished.',
    ...(test && { test }),
  };
}

export interface Runner {
  readonly kind: RunnerKind;
  grade(request: GradeRequest): Promise<GradeOutcome>;
  /** Gets ready for this exercise ahead of its first run (start a Worker, boot and install), so that run is fast. */
  warmUp?(request: WarmUpRequest): void;
  /** Stops the run in progress, which then ends as stopped by the learner. Nothing happens between runs. */
  stop?(): void;
  /** Raw output of the last run for a terminal panel (WebContainer only; may contain ANSI codes). */
  onOutput?(listener: (chunk: string) => void): () => void;
  dispose(): void;
}
