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

export default class GradingReporter implements Reporter {
  constructor(private readonly options: GradingReporterOptions = { print: true }) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message: string }>) {
    const reports = reportsOf(modules, this.options.runtime ?? 'node');
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
      for (const error of unhandledErrors) {
        console.log(`An error escaped every test (often an unawaited promise): ${stripAnsi(error.message)}`);
      }
    }
  }
}
