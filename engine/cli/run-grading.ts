import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Reporter } from 'vitest/node';
import { startVitest } from 'vitest/node';
import { courseRoot, loadCourse } from '../course/course.ts';
import type { HintLadder } from '../grading/format.ts';
import type { Backends } from '../grading/projects.ts';
import GradingReporter from '../grading/reporter.ts';
import { type GradeReport, taskOutcomes } from '../grading/results.ts';

/**
 * One grading run from the command line, shared by `npm run grade` (the
 * learner's code) and `npm run grade:real` (the reference solutions against
 * real servers): vitest with the course's grading reporter, which prints the
 * progress table, the first failure and the tests this run could not grade.
 */

export interface GradingRun {
  /** The vitest config, relative to the course root. */
  config: string;
  /** vitest project names (or patterns) to run. */
  projects: string[];
  watch?: boolean;
  /** Print the progress table and the first failure (default: yes). */
  print?: boolean;
  /** Which hint the failure view shows (default: the first). */
  hints?: HintLadder;
  /** Words printed after each run's results, such as what to do next. */
  epilogue?: (reports: Map<string, GradeReport>) => string | undefined;
  /** In watch mode, what is watched, as the learner would name it (e.g. "exercises/cache-aside/"). */
  watching?: string;
}

export interface GradingOutcome {
  reports: Map<string, GradeReport>;
  /** Every task of every report passed or was not graded here (never after a watch run). */
  noTaskFails: boolean;
}

/** True when no task of any report fails (`not-graded` tasks are not failures). */
export function noTaskFails(reports: Map<string, GradeReport>): boolean {
  const course = loadCourse();
  return [...reports.values()].every((report) => {
    const manifest = course.find((exercise) => exercise.manifest.id === report.exercise)?.manifest;
    return (
      manifest !== undefined && taskOutcomes(report, manifest.tasks).every((task) => task.status !== 'fail')
    );
  });
}

/**
 * Around each run's results: the epilogue after them, and in watch mode a clean screen before each run
 * (a separator when the output is not a terminal) and a last line that says what is watched and how to
 * leave. The keys are vitest's own watch shortcuts.
 */
function framing(run: GradingRun, reports: () => Map<string, GradeReport>): Reporter {
  return {
    onTestRunStart() {
      if (!run.watch) return;
      if (process.stdout.isTTY) console.clear();
      else console.log(`\n${'─'.repeat(60)}`);
    },
    onTestRunEnd() {
      const epilogue = run.epilogue?.(reports());
      if (epilogue) console.log(`${epilogue}\n`);
      if (run.watch) {
        console.log(
          `Watching ${run.watching ?? 'your exercises'}: save a file to grade again. Enter grades now; q or Ctrl+C quits.`,
        );
      }
    },
  };
}

export async function runGrading(run: GradingRun): Promise<GradingOutcome> {
  let reports = new Map<string, GradeReport>();
  const reporter = new GradingReporter({
    print: run.print ?? true,
    ...(run.hints && { hints: run.hints }),
    onReports: (all) => {
      reports = all;
    },
  });
  const vitest = await startVitest('test', [], {
    root: courseRoot,
    config: join(courseRoot, run.config),
    project: run.projects,
    watch: run.watch ?? false,
    reporters: [reporter, framing(run, () => reports)],
  });
  if (run.watch) return { reports, noTaskFails: false };
  await vitest.close();
  return { reports, noTaskFails: noTaskFails(reports) };
}

/** Which real servers a run uses, one line each; nothing when everything is simulated. */
export function describeBackends(backends: Backends): string[] {
  const lines: string[] = [];
  if (backends.redisUrl) lines.push(`  Redis       ${backends.redisUrl}`);
  if (backends.databaseUrl) lines.push(`  PostgreSQL  ${backends.databaseUrl} (primary)`);
  for (const url of backends.replicaUrls ?? []) lines.push(`              ${url} (replica)`);
  if (lines.length > 0) lines.push('  anything not named here stays simulated');
  return lines;
}

export interface GradingArguments {
  exercises: string[];
  watch: boolean;
  seed: string | undefined;
  /** Exit 0 when the only news is unfinished tasks (exercise folders' npm test); CI leaves it off. */
  unfinishedOk: boolean;
}

/**
 * Reads a grading command's arguments: exercise names, --seed, --help, and --watch where the
 * command offers it. Anything else is answered with the usage and exit code 2, never a stack trace.
 */
export function parseGradingArguments(
  args: readonly string[],
  usage: string,
  options: { watch: boolean; unfinishedOk?: boolean; known: readonly string[] },
): GradingArguments | { exitCode: 0 | 2; print: string } {
  let parsed: {
    values: { watch?: boolean; seed?: string; help?: boolean; 'unfinished-ok'?: boolean };
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        watch: { type: 'boolean', short: 'w', default: false },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        'unfinished-ok': { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    const message = (error as Error).message;
    const option = /^Unknown option '([^']+)'/.exec(message)?.[1];
    return { exitCode: 2, print: `${option ? `Unknown option ${option}.` : message}\n\n${usage}` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { exitCode: 0, print: usage };
  if (values.watch && !options.watch)
    return { exitCode: 2, print: `--watch is not available here.\n\n${usage}` };
  if (values['unfinished-ok'] && !options.unfinishedOk)
    return { exitCode: 2, print: `--unfinished-ok is not available here.\n\n${usage}` };
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) {
    return {
      exitCode: 2,
      print: `--seed takes the number a run printed, such as --seed 1234; got "${values.seed}".`,
    };
  }
  const unknown = positionals.filter((id) => !options.known.includes(id));
  if (unknown.length > 0) {
    return {
      exitCode: 2,
      print: `No exercise called ${unknown.join(', ')}. The exercises are: ${options.known.join(', ')}.`,
    };
  }
  return {
    exercises: positionals.length > 0 ? [...positionals] : [...options.known],
    watch: values.watch ?? false,
    seed: values.seed,
    unfinishedOk: values['unfinished-ok'] ?? false,
  };
}

/**
 * The command line every grading command shares: exercise names, --seed (passed on to the
 * vitest config through GRADER_SEED), --help, and --watch where the command offers it.
 */
export function gradingCommandLine(usage: string, options: { watch: boolean; unfinishedOk?: boolean }) {
  const known = loadCourse().map((exercise) => exercise.manifest.id);
  const parsed = parseGradingArguments(process.argv.slice(2), usage, { ...options, known });
  if ('exitCode' in parsed) {
    if (parsed.exitCode === 0) console.log(parsed.print);
    else console.error(parsed.print);
    process.exit(parsed.exitCode);
  }
  if (parsed.seed !== undefined) process.env.GRADER_SEED = parsed.seed;
  return { exercises: parsed.exercises, watch: parsed.watch, unfinishedOk: parsed.unfinishedOk };
}
