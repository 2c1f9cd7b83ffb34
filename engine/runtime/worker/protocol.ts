import type { ExerciseManifest } from '../../course/manifest.ts';
import type { RunningTest } from '../../grading/results.ts';
import type { GradeOutcome } from '../runner.ts';

/**
 * Messages between the page (worker-runner.ts) and the grading Worker (grader-worker.ts). The
 * page first posts `connect` on the Worker's own channel, handing over one end of a private
 * MessageChannel; every other message travels on that channel. Learner code runs in the Worker
 * and can post on the Worker's own channel, so the page listens to nothing there.
 */

export type Connect = { type: 'connect' };

export type ToWorker =
  | { type: 'grade'; id: number; manifest: ExerciseManifest; files: Record<string, string>; seed: number }
  /**
   * Load the packages and sources an exercise needs ahead of a run, then rehearse: grade the
   * course's own code for it (the reference solution) once, so the run that follows finds the JIT warm.
   */
  | { type: 'warm'; manifest: ExerciseManifest; rehearsal?: Record<string, string> };

export type FromWorker =
  /** Everything is loaded and the learner's code is about to run: the wall-clock budget starts now. */
  | { type: 'running'; id: number }
  /** Progress, so a run stopped at its budget can say which test was running. Never extends the budget. */
  | { type: 'test-started'; id: number; test: RunningTest }
  | { type: 'test-finished'; id: number }
  | { type: 'done'; id: number; outcome: GradeOutcome };
