import type { ExerciseManifest } from '../../course/manifest.ts';
import type { GradeOutcome } from '../runner.ts';

/** Messages between the page (worker-runner.ts) and the grading Worker (grader-worker.ts). */

export type ToWorker =
  | { type: 'grade'; id: number; manifest: ExerciseManifest; files: Record<string, string>; seed: number }
  /** Load the packages and sources an exercise needs ahead of its first run. */
  | { type: 'warm'; manifest: ExerciseManifest };

export type FromWorker =
  /** Everything is loaded and the learner's code is about to run: the wall-clock budget starts now. */
  | { type: 'running'; id: number }
  /** `reusable`: the run left the Worker's realm as it found it (realm-guard.ts), so it may serve the next. */
  | { type: 'done'; id: number; outcome: GradeOutcome; reusable: boolean };
