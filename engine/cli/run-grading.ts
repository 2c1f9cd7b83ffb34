import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startVitest } from 'vitest/node';
import { courseRoot, loadCourse } from '../course/course.ts';
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

export async function runGrading(run: GradingRun): Promise<GradingOutcome> {
  let reports = new Map<string, GradeReport>();
  const reporter = new GradingReporter({
    print: true,
    onReports: (all) => {
      reports = all;
    },
  });
  const vitest = await startVitest('test', [], {
    root: courseRoot,
    config: join(courseRoot, run.config),
    project: run.projects,
    watch: run.watch ?? false,
    reporters: [reporter],
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

/** The exercises a command names (all of them when it names none); exits with a clear message on a typo. */
export function chosenExercises(named: readonly string[]): string[] {
  const known = loadCourse().map((exercise) => exercise.manifest.id);
  const unknown = named.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    console.error(`No exercise called ${unknown.join(', ')}. The exercises are: ${known.join(', ')}.`);
    process.exit(2);
  }
  return named.length > 0 ? [...named] : known;
}

/**
 * The command line every grading command shares: exercise names, --seed (passed on to the
 * vitest config through GRADER_SEED), --help, and --watch where the command offers it.
 */
export function gradingCommandLine(usage: string, options: { watch: boolean }) {
  const { values, positionals } = parseArgs({
    options: {
      watch: { type: 'boolean', short: 'w', default: false },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (values.watch && !options.watch) {
    console.error('--watch is not available here.');
    process.exit(2);
  }
  const exercises = chosenExercises(positionals);
  if (values.seed !== undefined) process.env.GRADER_SEED = values.seed;
  return { exercises, watch: values.watch };
}
