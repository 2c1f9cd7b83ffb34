import { writeFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import { loadExercise } from '../course/course.ts';
import { type GradedExercise, gradingSummary, wantsColour } from './format.ts';
import { type GradeReport, type RawTest, type Runtime, stripAnsi, toTestResult } from './results.ts';

/**
 * A vitest reporter that turns a run into GradeReports (one per project) in the
 * course's result format. It prints the progress table when used from a config
 * file, writes JSON for the WebContainer runner (`outputFile`), and hands
 * reports to the self-check and the CLI (`onReports`).
 */

export interface GradingReporterOptions {
  print?: boolean;
  /** Where to write every report as JSON (the WebContainer reads this file). */
  outputFile?: string;
  runtime?: Runtime;
  onReports?: (reports: Map<string, GradeReport>) => void;
}

function suitesOf(test: TestCase): string[] {
  const names: string[] = [];
  let parent: TestSuite | TestModule = test.parent;
  while (parent.type === 'suite') {
    names.unshift(parent.name);
    parent = parent.parent;
  }
  return names;
}

function rawTestOf(test: TestCase): RawTest {
  const result = test.result();
  return {
    suites: suitesOf(test),
    name: test.name,
    state: result.state === 'passed' ? 'pass' : result.state === 'failed' ? 'fail' : 'skip',
    errors: result.errors ?? [],
    ...(result.state === 'skipped' && result.note !== undefined && { note: result.note }),
    durationMs: test.diagnostic()?.duration ?? 0,
  };
}

/** Project names are "<exercise>" or "<exercise>:<implementation>". */
export const exerciseOfProject = (project: string) => project.split(':')[0] ?? project;

export function reportsOf(modules: ReadonlyArray<TestModule>, runtime: Runtime): Map<string, GradeReport> {
  const reports = new Map<string, GradeReport>();
  for (const module of modules) {
    const project = module.project.name;
    const report = reports.get(project) ?? {
      exercise: exerciseOfProject(project),
      runtime,
      seed: Number(module.project.config.provide?.seed ?? 0),
      tests: [],
      errors: [],
    };
    report.tests.push(...Array.from(module.children.allTests(), rawTestOf).map(toTestResult));
    report.errors.push(...module.errors().map((error) => stripAnsi(error.message)));
    reports.set(project, report);
  }
  return reports;
}

/** vitest's words when the process running a test file died (out of memory, killed). */
const crashed = /Worker (forks|threads) emitted error|Worker exited unexpectedly|Channel closed/i;

export const CRASH_MESSAGE =
  'The test process crashed before grading finished, so the tests after the crash never ran. The usual ' +
  'cause is memory: code that keeps allocating (an array or Map that grows on every call and is never ' +
  'emptied) until the process runs out of it.';

/**
 * A crash of the process that ran a grader fails that grader's run: every test it had not
 * finished is reported as never run. The crash cannot be tied to a project, so it goes to each
 * report with a test that neither passed nor failed nor gave a reason to skip.
 */
export function withCrashes(
  reports: Map<string, GradeReport>,
  unhandled: ReadonlyArray<{ message: string }>,
) {
  if (!unhandled.some((error) => crashed.test(error.message))) return reports;
  for (const report of reports.values()) {
    const unfinished = report.tests.some((test) => test.status === 'skip' && test.note === undefined);
    if (unfinished || report.tests.length === 0) report.errors.push(CRASH_MESSAGE);
  }
  return reports;
}

export default class GradingReporter implements Reporter {
  constructor(private readonly options: GradingReporterOptions = { print: true }) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message: string }>) {
    const reports = withCrashes(reportsOf(modules, this.options.runtime ?? 'node'), unhandledErrors);
    this.options.onReports?.(reports);
    if (this.options.outputFile) {
      writeFileSync(this.options.outputFile, JSON.stringify([...reports.values()], null, 2));
    }
    if (this.options.print !== false) {
      const graded: GradedExercise[] = [...reports.values()].map((report) => ({
        manifest: loadExercise(report.exercise).manifest,
        report,
      }));
      const colour = wantsColour(process.env, process.stdout.isTTY);
      if (graded.length > 0) console.log(gradingSummary(graded, colour));
      for (const error of unhandledErrors.filter((error) => !crashed.test(error.message))) {
        console.log(`An error escaped every test (often an unawaited promise): ${stripAnsi(error.message)}`);
      }
    }
  }
}
