import { DEFAULT_SEED } from '../grading/results.ts';
import { compileDiagnostics, compileErrorMessage } from './compile-check.ts';
import type { CourseFiles } from './course-files.ts';
import { exerciseProject, type ProjectTree, projectDependencies } from './exercise-project.ts';
import {
  type GradeOutcome,
  type GradeRequest,
  loadErrorDiagnostics,
  type Runner,
  stoppedAfter,
  stoppedByLearner,
} from './runner.ts';
import { realTimers, TIMED_OUT, type Timers, withinBudget } from './timers.ts';
import {
  type Container,
  type ContainerProcess,
  pageContainer,
  toFileSystemTree,
} from './webcontainer/container.ts';
import { type InstallCache, indexedDbInstallCache } from './webcontainer/install-cache.ts';
import { RESULTS_CONFIG, readResults, resultsFileForRun } from './webcontainer/results.ts';

/**
 * The WebContainer runner: real Node.js and vitest in the browser (StackBlitz
 * WebContainers). It mounts the exercise project (the same tree as the zip
 * download), installs its dependencies once per visit (or mounts the snapshot
 * a previous visit cached), then for each run writes the learner's files, runs
 * vitest with the grading reporter writing JSON, and grades from that file:
 * exit codes inside a WebContainer are unreliable. Raw output streams to
 * onOutput listeners for a terminal panel.
 */

export interface WebContainerRunnerOptions {
  courseFiles: CourseFiles;
  slot?: { acquire(timeoutMs: number): Promise<Container>; release(): void };
  installCache?: InstallCache;
  /** How long booting may take before a run gives up (default 30 s; the runner choice uses its own budget). */
  bootTimeoutMs?: number;
  /** How long one vitest run may take, start-up included (default 45 s). */
  timeLimitMs?: number;
  timers?: Timers;
}

export interface WebContainerRunner extends Runner {
  /** Boots the page's WebContainer within the budget; rejects if it cannot. */
  start(timeoutMs: number): Promise<void>;
}

const OUTPUT_TAIL = 2_000;
/** What a run waits for besides vitest's exit: the learner pressing Stop. */
const STOPPED = Symbol('stopped');

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createWebContainerRunner(options: WebContainerRunnerOptions): WebContainerRunner {
  const slot = options.slot ?? pageContainer;
  const cache = options.installCache ?? indexedDbInstallCache();
  const timers = options.timers ?? realTimers;
  const bootTimeoutMs = options.bootTimeoutMs ?? 30_000;
  const timeLimitMs = options.timeLimitMs ?? 45_000;
  const listeners = new Set<(chunk: string) => void>();
  let outputTail = '';
  let mountedExercise: string | undefined;
  /** The course's files of the mounted exercise, as shipped: mounted again before every run. */
  let pristine: ProjectTree = {};
  let installed: Promise<void> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /** Ends the vitest run in progress, if one is. */
  let stopRun: (() => void) | undefined;

  function emit(chunk: string) {
    outputTail = (outputTail + chunk).slice(-OUTPUT_TAIL);
    for (const listener of listeners) listener(chunk);
  }

  async function spawn(
    container: Container,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    emit(`\r\n$ ${[command, ...args].join(' ')}\r\n`);
    const child = await container.spawn(command, args, { env });
    // Await `exit`, never the end of the stream: output may keep the stream open.
    child.output.pipeTo(new WritableStream({ write: emit })).catch(() => {});
    return child;
  }

  async function install(container: Container): Promise<void> {
    // Every exercise installs the same packages: one snapshot serves them all.
    const cacheKey = JSON.stringify(projectDependencies());
    const snapshot = await cache.get(cacheKey);
    if (snapshot) {
      emit('\r\nUsing the dependencies installed on an earlier visit.\r\n');
      await container.mount(snapshot, { mountPoint: 'node_modules' });
      return;
    }
    const npm = await spawn(container, 'npm', ['install', '--no-audit', '--no-fund']);
    const exitCode = await npm.exit;
    if (exitCode !== 0) throw new Error(`npm install failed (exit code ${exitCode}):\n${outputTail}`);
    // Cached in the background: the first run need not wait for it.
    container
      .export('node_modules', { format: 'binary' })
      .then((exported) => cache.put(cacheKey, exported))
      .catch(() => {});
  }

  /** Mounts the exercise (once per exercise) and installs its dependencies (once per container). */
  async function prepare(container: Container, request: GradeRequest): Promise<void> {
    const { manifest } = request;
    if (mountedExercise !== manifest.id) {
      const tree: ProjectTree = await exerciseProject(request, options.courseFiles);
      tree[RESULTS_CONFIG] = await options.courseFiles.read(RESULTS_CONFIG);
      const learnerFiles = new Set(manifest.files.editable.map((file) => `exercises/${manifest.id}/${file}`));
      pristine = Object.fromEntries(Object.entries(tree).filter(([path]) => !learnerFiles.has(path)));
      // Only one exercise in the project: the course config grades every exercise it finds.
      await container.fs.rm('exercises', { recursive: true, force: true });
      await container.mount(toFileSystemTree(tree));
      mountedExercise = manifest.id;
    }
    installed ??= install(container).catch((error: unknown) => {
      installed = undefined;
      throw error;
    });
    await installed;
  }

  async function runVitest(container: Container, request: GradeRequest): Promise<GradeOutcome> {
    const { manifest, files, seed = DEFAULT_SEED } = request;
    // A run may have changed the grader, the harness or the engine on disk: every run starts from the course's copy.
    await container.mount(toFileSystemTree(pristine));
    for (const file of manifest.files.editable) {
      await container.fs.writeFile(`exercises/${manifest.id}/${file}`, files[file] ?? '');
    }
    const resultsFile = resultsFileForRun();
    const vitest: ContainerProcess = await spawn(
      container,
      'npx',
      ['vitest', 'run', '--config', RESULTS_CONFIG, '--project', manifest.id],
      // FORCE_COLOR: the terminal panel (xterm) shows colour.
      { GRADER_SEED: String(seed), GRADE_RESULTS_FILE: resultsFile, FORCE_COLOR: '1' },
    );
    const stopped = new Promise<typeof STOPPED>((resolve) => {
      stopRun = () => resolve(STOPPED);
    });
    const exitCode = await Promise.race([withinBudget(vitest.exit, timeLimitMs, timers), stopped]);
    stopRun = undefined;
    if (exitCode === TIMED_OUT || exitCode === STOPPED) {
      vitest.kill();
      return exitCode === STOPPED ? stoppedByLearner() : stoppedAfter(timeLimitMs);
    }
    const report = await readResults(container, resultsFile, manifest.id).catch(() => undefined);
    await container.fs.rm(resultsFile, { force: true });
    if (!report) {
      return {
        kind: 'runner-error',
        message: `vitest ended (exit code ${exitCode}) without writing results:\n${outputTail}`,
      };
    }
    return { kind: 'graded', report, diagnostics: loadErrorDiagnostics(manifest, report) };
  }

  async function run(request: GradeRequest): Promise<GradeOutcome> {
    const learnerFiles = Object.fromEntries(
      request.manifest.files.editable.map((file) => [file, request.files[file] ?? '']),
    );
    const diagnostics = compileDiagnostics(learnerFiles);
    if (diagnostics.length > 0) {
      return { kind: 'compile-error', diagnostics, message: compileErrorMessage(diagnostics) };
    }
    let container: Container;
    try {
      container = await slot.acquire(bootTimeoutMs);
      await prepare(container, request);
    } catch (error) {
      return { kind: 'runner-error', message: `the WebContainer could not get ready: ${message(error)}` };
    }
    try {
      return await runVitest(container, request);
    } catch (error) {
      return {
        kind: 'runner-error',
        message: `running vitest in the WebContainer failed: ${message(error)}`,
      };
    }
  }

  function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => {});
    return result;
  }

  return {
    kind: 'webcontainer',
    async start(timeoutMs) {
      await slot.acquire(timeoutMs);
    },
    grade: (request) => serially(() => run(request)),
    stop: () => stopRun?.(),
    warmUp(request) {
      serially(async () => prepare(await slot.acquire(bootTimeoutMs), request)).catch(() => {});
    },
    onOutput(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      listeners.clear();
      slot.release();
    },
  };
}
