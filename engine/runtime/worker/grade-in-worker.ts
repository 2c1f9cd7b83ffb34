import type { ExerciseManifest } from '../../course/manifest.ts';
import { GRADER_PACKAGES, type GraderPackage } from '../../grading/in-page/grader-packages.ts';
import type { InPageGradeRequest } from '../../grading/in-page/run-grader.ts';
import type { GradeReport, RunningTest } from '../../grading/results.ts';
import { compileDiagnostics, compileErrorMessage } from '../compile-check.ts';
import { type CourseFiles, readAll } from '../course-files.ts';
import { type GradeOutcome, loadErrorDiagnostics } from '../runner.ts';

/**
 * What the grading Worker does with one request, apart from the Worker itself
 * (grader-worker.ts) so Node tests can run it: assemble the sources the
 * manifest names, load the packages they import, grade, and say whose fault a
 * failure is. The learner's code not compiling is a compile error; their code
 * throwing while it loads is a graded run (every task fails with that error);
 * the grader, harness or machinery failing is a runner error.
 */

export interface WorkerHost {
  /** The course's files as JavaScript, transpiled at build time (compiled-course-files.ts). */
  compiledCourseFiles: CourseFiles;
  loadPackages(names: readonly GraderPackage[]): Promise<Record<string, unknown>>;
  /** The in-page grading core (gradeInPage), injected so its callers can be tested apart from it. */
  grade(request: InPageGradeRequest): Promise<GradeReport>;
}

export interface WorkerGradeRequest {
  manifest: ExerciseManifest;
  files: Record<string, string>;
  seed: number;
}

/** Where the graders import the learner's file from: `@exercise/<id>/<file>`. */
export const learnerPath = (manifest: ExerciseManifest, file: string) => `exercises/${manifest.id}/${file}`;

const courseSourcePaths = (manifest: ExerciseManifest) => [manifest.files.grader, ...manifest.files.readOnly];

/** The grader packages any of these sources mentions (a quoted name is enough: an extra one costs little). */
export function packagesUsedBy(sources: Record<string, string>): GraderPackage[] {
  const text = Object.values(sources).join('\n');
  return GRADER_PACKAGES.filter((name) => text.includes(`'${name}'`) || text.includes(`"${name}"`));
}

class RunnerFailure extends Error {}

async function attempt<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new RunnerFailure(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Loads what an exercise needs before its first run, so that run is warm. */
export async function prepareExercise(manifest: ExerciseManifest, host: WorkerHost): Promise<void> {
  const compiled = await readAll(host.compiledCourseFiles, courseSourcePaths(manifest));
  await host.loadPackages(packagesUsedBy(compiled));
}

/** What the page hears while a run goes on: the code starts running, a grader test starts and ends. */
export interface RunProgress {
  running?(): void;
  testStarted?(test: RunningTest): void;
  testFinished?(): void;
}

export async function gradeInWorker(
  request: WorkerGradeRequest,
  host: WorkerHost,
  progress: RunProgress = {},
): Promise<GradeOutcome> {
  const { manifest, files, seed } = request;
  const missing = manifest.files.editable.filter((file) => files[file] === undefined);
  if (missing.length > 0)
    return { kind: 'runner-error', message: `no code was given for ${missing.join(', ')}` };
  const learnerFiles = Object.fromEntries(manifest.files.editable.map((file) => [file, files[file] ?? '']));

  const diagnostics = compileDiagnostics(learnerFiles);
  if (diagnostics.length > 0) {
    return { kind: 'compile-error', diagnostics, message: compileErrorMessage(diagnostics) };
  }
  try {
    const compiled = await attempt('the grader files could not be loaded', () =>
      readAll(host.compiledCourseFiles, courseSourcePaths(manifest)),
    );
    const sources: Record<string, string> = {};
    for (const [file, source] of Object.entries(learnerFiles)) sources[learnerPath(manifest, file)] = source;
    const hostModules = await attempt('the grader packages could not be loaded', () =>
      host.loadPackages(packagesUsedBy({ ...compiled, ...sources })),
    );
    progress.running?.();
    const report = await attempt('the grader crashed', () =>
      host.grade({
        exercise: manifest.id,
        seed,
        grader: manifest.files.grader,
        sources,
        compiled,
        hostModules,
        ...(progress.testStarted && { onTestStart: progress.testStarted }),
        ...(progress.testFinished && { onTestEnd: progress.testFinished }),
      }),
    );
    // A course file that fails to load is the course's fault, never the learner's.
    const courseError = report.errors.find((error) =>
      Object.keys(compiled).some((path) => error.startsWith(`${path}:`) || error.startsWith(`${path} `)),
    );
    if (courseError) return { kind: 'runner-error', message: `the grader could not load: ${courseError}` };
    return { kind: 'graded', report, diagnostics: loadErrorDiagnostics(manifest, report) };
  } catch (error) {
    if (error instanceof RunnerFailure) return { kind: 'runner-error', message: error.message };
    throw error;
  }
}
