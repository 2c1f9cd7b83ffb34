import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';
import { loadExercise } from '../course/course.ts';
import { type GradedExercise, gradingSummary, type HintLadder, wantsColour } from './format.ts';
import {
  type ErrorPlace,
  type GradeReport,
  type RawTest,
  type Runtime,
  runawayMessage,
  stripAnsi,
  toTestResult,
} from './results.ts';
import { issueGradingKey, signPass, UNSIGNED_PASS } from './verdict.ts';

type UserConsoleLog = Parameters<NonNullable<Reporter['onUserConsoleLog']>>[0];

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
  /** How long a run may go without a test finishing before it is stopped (default: 30 s; 90 s on real servers). */
  watchdogMs?: number;
  /** The terminal's hint ladder: which hint to print for a failing task (default: the first). */
  hints?: HintLadder;
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

function rawTestOf(test: TestCase, gradingKey: string | undefined): RawTest {
  const result = test.result();
  const forged =
    result.state === 'passed' &&
    gradingKey !== undefined &&
    test.meta().verdict !== signPass(gradingKey, test.id);
  if (forged)
    return {
      suites: suitesOf(test),
      name: test.name,
      state: 'fail',
      errors: [{ message: UNSIGNED_PASS }],
      durationMs: 0,
    };
  return {
    suites: suitesOf(test),
    name: test.name,
    state: result.state === 'passed' ? 'pass' : result.state === 'failed' ? 'fail' : 'skip',
    errors: result.errors ?? [],
    ...(result.state === 'skipped' && result.note !== undefined && { note: result.note }),
    durationMs: test.diagnostic()?.duration ?? 0,
  };
}

/**
 * Where an error outside every test was thrown in a learner's file: the first frame of vitest's
 * stack (already mapped to the TypeScript source) in an exercises/ folder, from that folder on.
 */
export function learnerPlaceOf(error: {
  message: string;
  stacks?: ReadonlyArray<{ file: string; line: number; column: number }>;
}): ErrorPlace | undefined {
  const frame = error.stacks?.find((candidate) => candidate.file.includes('/exercises/'));
  if (!frame) return undefined;
  return {
    path: frame.file.slice(frame.file.lastIndexOf('/exercises/') + 1),
    line: frame.line,
    column: frame.column,
    message: stripAnsi(error.message),
  };
}

/** Project names are "<exercise>" or "<exercise>:<implementation>". */
export const exerciseOfProject = (project: string) => project.split(':')[0] ?? project;

/** Reports per project; with a grading key, a pass counts only if the grader runner signed it. */
export function reportsOf(
  modules: ReadonlyArray<TestModule>,
  runtime: Runtime,
  gradingKey?: string,
): Map<string, GradeReport> {
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
    report.tests.push(
      ...Array.from(module.children.allTests(), (test) => rawTestOf(test, gradingKey)).map(toTestResult),
    );
    report.errors.push(...module.errors().map((error) => stripAnsi(error.message)));
    const places = module.errors().flatMap((error) => learnerPlaceOf(error) ?? []);
    if (places.length > 0) report.errorPlaces = [...(report.errorPlaces ?? []), ...places];
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

/** What the code under test printed, shown under the test that printed it, capped so a loop cannot flood. */
const PRINTED_LINES_PER_TEST = 20;
const PRINTED_TESTS = 10;

/**
 * How long a run may go without any test finishing. Graders never wait for real, so this is
 * code that never yields (`while (true) {}`), which no test timeout can interrupt: only
 * stopping the process can.
 */
const WATCHDOG_MS = { simulations: 30_000, realServers: 90_000 };

function describeTest(test: TestCase): string {
  const task = suitesOf(test).find((suite) => /^task \d+:/i.test(suite));
  return `${exerciseOfProject(test.project.name)}, ${task ? `${task.split(':')[0]}: ` : ''}${test.name}`;
}

export default class GradingReporter implements Reporter {
  private vitest: Vitest | undefined;
  private running: TestCase | undefined;
  private finished: TestCase | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly printed = new Map<string, string[]>();
  // Issued before vitest starts its test threads, which inherit it (verdict.ts).
  private readonly gradingKey = issueGradingKey();

  constructor(private readonly options: GradingReporterOptions = { print: true }) {}

  onInit(vitest: Vitest) {
    this.vitest = vitest;
    // A grading thread that runs out of memory reaches vitest as an 'error' event nobody handles, and
    // the process ends with Node's stack trace: say first what happened.
    process.on('uncaughtExceptionMonitor', (error) => {
      if (crashed.test(error.message)) console.log(`\n${CRASH_MESSAGE}\n`);
    });
  }

  onTestRunStart() {
    this.rearm();
  }

  onTestCaseReady(test: TestCase) {
    this.running = test;
    this.rearm();
  }

  onTestCaseResult(test: TestCase) {
    this.running = undefined;
    this.finished = test;
    this.rearm();
  }

  onUserConsoleLog(log: UserConsoleLog) {
    const test = log.taskId ? this.vitest?.state.getReportedEntityById(log.taskId) : undefined;
    const where = test?.type === 'test' ? describeTest(test) : 'while loading';
    const lines = this.printed.get(where) ?? [];
    if (!this.printed.has(where) && this.printed.size >= PRINTED_TESTS) return;
    lines.push(...log.content.replace(/\n$/, '').split('\n'));
    this.printed.set(where, lines);
  }

  private rearm() {
    clearTimeout(this.watchdog);
    const real = Object.keys(this.vitest?.config.provide?.backends ?? {}).length > 0;
    const limitMs = this.options.watchdogMs ?? (real ? WATCHDOG_MS.realServers : WATCHDOG_MS.simulations);
    this.watchdog = setTimeout(() => this.stopRunaway(limitMs), limitMs);
    this.watchdog.unref?.();
  }

  private stopRunaway(limitMs: number) {
    // A thread stuck in a loop cannot report that its test started, so name the last one that finished.
    const where = this.running
      ? `While grading "${describeTest(this.running)}"`
      : this.finished
        ? `After "${describeTest(this.finished)}" finished`
        : 'Before any test finished';
    const printed = this.printedView();
    if (printed) console.log(`\n${printed}`);
    console.log(`\n${where}: ${runawayMessage(limitMs)}`);

    // The stuck thread cannot be asked to stop, and vitest's own close waits for it: end the process.
    process.exit(1);
  }

  private printedView(): string | undefined {
    if (this.printed.size === 0) return undefined;
    const blocks = [...this.printed].map(([where, lines]) => {
      const shown = lines.slice(0, PRINTED_LINES_PER_TEST).map((line) => `    ${line}`);
      const more = lines.length - shown.length;
      return [`  ${where}`, ...shown, ...(more > 0 ? [`    ... and ${more} more lines`] : [])].join('\n');
    });
    return ['Your code printed:', ...blocks].join('\n');
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message: string }>) {
    clearTimeout(this.watchdog);
    const reports = withCrashes(
      reportsOf(modules, this.options.runtime ?? 'node', this.gradingKey),
      unhandledErrors,
    );
    this.options.onReports?.(reports);
    if (this.options.outputFile) {
      mkdirSync(dirname(this.options.outputFile), { recursive: true });
      writeFileSync(this.options.outputFile, JSON.stringify([...reports.values()], null, 2));
    }
    if (this.options.print !== false) {
      const graded: GradedExercise[] = [...reports.values()].map((report) => ({
        manifest: loadExercise(report.exercise).manifest,
        report,
      }));
      const colour = wantsColour(process.env, process.stdout.isTTY);
      const printed = this.printedView();
      if (printed) console.log(`\n${printed}`);
      if (graded.length > 0) console.log(gradingSummary(graded, colour, this.options.hints));
      for (const error of unhandledErrors.filter((error) => !crashed.test(error.message))) {
        console.log(`An error escaped every test (often an unawaited promise): ${stripAnsi(error.message)}`);
      }
    }
  }
}
