import {
  type File,
  getFn,
  startTests,
  type Task,
  type Test,
  type VitestRunner,
  type VitestRunnerConfig,
} from '@vitest/runner';
import { setSafeTimers } from '@vitest/utils/timers';
import { learnerImportRefusal } from '../learner-imports.ts';
import { failIfNeverSettles, trackMacrotasks } from '../never-settles.ts';
import {
  type ErrorPlace,
  type GradeReport,
  type RawTest,
  type RunningTest,
  stripAnsi,
  taskOf,
  toTestResult,
} from '../results.ts';
import { createModuleGraph } from './module-graph.ts';
import { withRememberedParses } from './remembered-parses.ts';
import { createVitestShim } from './vitest-shim.ts';

/**
 * Grades an exercise without vitest's Node machinery: @vitest/runner collects and
 * runs the grader, which is loaded from source through the in-page module graph.
 * This is the core the site's Web Worker runs; it has no Node or DOM dependency.
 */

export interface InPageGradeRequest {
  exercise: string;
  seed: number;
  /** Course-relative path of the grader file, e.g. "tests/cache-aside/cache-aside.test.ts". */
  grader: string;
  /** TypeScript by course-relative path: the learner's files, and the course's unless `compiled` has them. */
  sources: Record<string, string>;
  /** The course's files (grader, harness, support) already transpiled to JavaScript, by course-relative path. */
  compiled?: Record<string, string>;
  /** Packages the graders import (ioredis-mock, pg-mem, @sinonjs/fake-timers...), already loaded. */
  hostModules: Record<string, unknown>;
  testTimeoutMs?: number;
  /** Progress, for a run that has to be stopped: a grader test starts, and it has finished. */
  onTestStart?(test: RunningTest): void;
  onTestEnd?(): void;
}

function runningTest(test: Test): RunningTest {
  const suites: string[] = [];
  for (let suite = test.suite; suite && suite !== test.file; suite = suite.suite) suites.unshift(suite.name);
  try {
    return { task: taskOf(suites, test.name), name: test.name };
  } catch {
    return { name: test.name };
  }
}

function runnerConfig(seed: number, testTimeout: number): VitestRunnerConfig {
  return {
    root: '/',
    setupFiles: [],
    name: undefined,
    passWithNoTests: false,
    testNamePattern: undefined,
    allowOnly: false,
    sequence: { shuffle: false, concurrent: false, seed, hooks: 'stack', setupFiles: 'list' },
    chaiConfig: undefined,
    maxConcurrency: 5,
    testTimeout,
    hookTimeout: testTimeout,
    retry: 0,
    includeTaskLocation: false,
    tags: [],
    tagsFilter: undefined,
    strictTags: false,
  };
}

/** Flattens @vitest/runner's task tree into the runner-neutral shape results.ts maps to tasks. */
export function rawTestsOf(task: Task, suites: string[] = []): RawTest[] {
  if (task.type === 'test') {
    const state = task.result?.state;
    // context.skip(note) stores the note on the result; @vitest/runner's TaskResult type omits it.
    const note = (task.result as { note?: string } | undefined)?.note;
    return [
      {
        suites,
        name: task.name,
        state: state === 'pass' ? 'pass' : state === 'fail' ? 'fail' : 'skip',
        errors: task.result?.errors ?? [],
        ...(note !== undefined && { note }),
        durationMs: task.result?.duration ?? 0,
      },
    ];
  }
  const inner = task.type === 'suite' && task.file !== task ? [...suites, task.name] : suites;
  return task.tasks.flatMap((child) => rawTestsOf(child, inner));
}

/**
 * Where a load error was thrown in the learner's code: the first frame of its stack in an exercises/ file.
 * The module graph evaluates each file with `new Function` named by its sourceURL, and the engine counts
 * lines in the function's whole source, whose header ("function anonymous(require,module,exports\n) {\n",
 * ECMAScript CreateDynamicFunction) takes two lines; sucrase keeps the file's lines where they were.
 */
export function learnerPlace(error: { message: string; stack?: string }): ErrorPlace | undefined {
  const frame = /(exercises\/[^\s():]+):(\d+):(\d+)/.exec(error.stack ?? '');
  if (!frame) return undefined;
  const [, path = '', line, column] = frame;
  return {
    path,
    line: Math.max(1, Number(line) - 2),
    column: Number(column),
    message: stripAnsi(error.message),
  };
}

let safeTimersSet = false;

export async function gradeInPage(request: InPageGradeRequest): Promise<GradeReport> {
  // The runner's own timeouts must keep working when a grader fakes the clock.
  if (!safeTimersSet) {
    setSafeTimers();
    safeTimersSet = true;
  }
  const graph = createModuleGraph({
    sources: request.sources,
    compiled: request.compiled,
    hostModules: {
      ...withRememberedParses(request.hostModules),
      vitest: createVitestShim({ seed: request.seed }),
    },
    refuseImport: (specifier, importer) =>
      importer.startsWith('exercises/') ? learnerImportRefusal(request.exercise, specifier) : undefined,
  });
  // Counted from before the grader loads (and after the runner kept its own timers): a test whose
  // call can never finish fails at once (never-settles.ts), as it does under vitest.
  const tracker = trackMacrotasks();
  const runner: VitestRunner = {
    config: runnerConfig(request.seed, request.testTimeoutMs ?? 5_000),
    importFile: async (filepath) => {
      graph.load(filepath);
    },
    runTask: (test) => {
      const body = getFn(test);
      return failIfNeverSettles(() => body(), tracker);
    },
    onBeforeTryTask: (test) => request.onTestStart?.(runningTest(test)),
    onAfterRunTask: () => request.onTestEnd?.(),
  };
  let files: File[];
  try {
    files = await startTests([request.grader], runner);
  } finally {
    tracker.restore();
  }
  const fileErrors = files.flatMap((file) => file.result?.errors ?? []);
  const errorPlaces = fileErrors.flatMap((error) => learnerPlace(error) ?? []);
  return {
    exercise: request.exercise,
    runtime: 'worker',
    seed: request.seed,
    tests: files.flatMap((file) => rawTestsOf(file)).map(toTestResult),
    errors: fileErrors.map((error) => stripAnsi(error.message)),
    ...(errorPlaces.length > 0 && { errorPlaces }),
  };
}
