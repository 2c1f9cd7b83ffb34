import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import { readAll } from '../../engine/runtime/course-files.ts';
import type { WarmUpRequest } from '../../engine/runtime/runner.ts';
import type { WorkerRunner } from '../../engine/runtime/worker-runner.ts';
import { type ExerciseBundle, loadExercise } from './exercise-bundle.ts';
import { createPageWorkerRunner } from './page-worker-runner.ts';

/**
 * What the workspace needs, made ready before the learner clicks "Open the
 * editor" (boot.ts calls this when they show they are about to): the
 * workspace's and Monaco's code downloaded and evaluated, the exercise and
 * its read-only files loaded, and a grading Worker started and warmed. The
 * workspace then finds every module already loaded, and its runner session
 * takes the warm Worker over (workerRunner), so the editor is there at once
 * and the first run is as fast as any later one.
 */

let workerAhead: WorkerRunner | undefined;
let sessionStarted = false;

/** How the Worker warms up for an exercise: it rehearses with the course's code, never the learner's. */
export async function warmUpRequest(bundle: ExerciseBundle): Promise<WarmUpRequest> {
  // Without the solution (a chunk that failed to load) the Worker only loads, and the first run is slower.
  const rehearsal = await bundle.solution().catch(() => undefined);
  return { manifest: bundle.manifest, files: bundle.starter, ...(rehearsal && { rehearsal }) };
}

export async function prepareWorkspace(exerciseId: string): Promise<void> {
  const loading = loadExercise(exerciseId);
  // Opened meanwhile (a quick click): the session has its own Worker already.
  const runner = sessionStarted ? undefined : createPageWorkerRunner();
  workerAhead = runner;
  const [bundle] = await Promise.all([
    loading,
    loading.then((bundle) => warmUpRequest(bundle)).then((request) => runner?.warmUp(request)),
    loading.then(({ manifest }) =>
      readAll(bundledCourseFiles, [manifest.files.grader, ...manifest.files.readOnly]),
    ),
    import('./workspace.ts'),
    import('./editor/code-editor.ts'),
  ]);
  performance.mark('workspace:prepared', { detail: bundle.manifest.id });
}

/** The Worker runner for a runner session: the one warmed ahead, once, or a new one. */
export function workerRunner(): WorkerRunner {
  sessionStarted = true;
  const runner = workerAhead ?? createPageWorkerRunner();
  workerAhead = undefined;
  return runner;
}
