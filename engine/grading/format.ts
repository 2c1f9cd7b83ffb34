import type { ExerciseManifest } from '../course/manifest.ts';
import { type GradeReport, type TaskOutcome, taskOutcomes } from './results.ts';

/**
 * Text views of grading results for the terminal: a progress table and a
 * failure view that shows one message, not a wall of output. In colour when
 * the terminal shows colour (a TTY, the WebContainer's xterm panel); the
 * symbols and words carry the meaning either way.
 */

/** The colours used, as functions that leave text alone when colour is off. */
interface Palette {
  pass(text: string): string;
  fail(text: string): string;
  quiet(text: string): string;
  strong(text: string): string;
}

const sgr = (on: number, off: number) => (text: string) => `\u001b[${on}m${text}\u001b[${off}m`;
const noColour: Palette = { pass: String, fail: String, quiet: String, strong: String };
const colours: Palette = { pass: sgr(32, 39), fail: sgr(31, 39), quiet: sgr(2, 22), strong: sgr(1, 22) };
const paletteFor = (colour: boolean) => (colour ? colours : noColour);

/** Whether to print in colour, the way most command-line tools decide: FORCE_COLOR, then NO_COLOR, then a TTY. */
export function wantsColour(env: Record<string, string | undefined>, isTTY: boolean | undefined): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY === true;
}

export interface GradedExercise {
  manifest: ExerciseManifest;
  report: GradeReport;
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');

function nextTask(outcomes: TaskOutcome[]): TaskOutcome | undefined {
  return outcomes.find((outcome) => outcome.status === 'fail');
}

const TICK = { pass: '✓', fail: '·', 'not-graded': '-' } as const;

/** A task part-way done: how many of its tests pass, so progress shows before the whole task does. */
function testsPassing(task: TaskOutcome): string {
  return task.total > 1 ? ` (${task.passed} of ${task.total} tests pass)` : '';
}

export function progressTable(graded: GradedExercise[], colour = false): string {
  const paint = paletteFor(colour);
  const tickColour = { pass: paint.pass, fail: paint.fail, 'not-graded': paint.quiet } as const;
  const rows = graded.map(({ manifest, report }) => {
    const outcomes = taskOutcomes(report, manifest.tasks);
    const passed = outcomes.filter((outcome) => outcome.status === 'pass').length;
    // Padded before painting: escape codes have no width on screen.
    const ticks = outcomes.map((outcome) => tickColour[outcome.status](TICK[outcome.status])).join('');
    const tickPadding = ' '.repeat(Math.max(0, 8 - outcomes.length));
    const next = nextTask(outcomes);
    const notGraded = outcomes.filter((outcome) => outcome.status === 'not-graded').map((o) => o.number);
    const nextText = next
      ? `next: task ${next.number}, ${next.title}${testsPassing(next)}`
      : notGraded.length > 0
        ? `complete here; not graded here: task ${notGraded.join(', ')}`
        : 'complete';
    const done = `${passed}/${outcomes.length}`.padEnd(6);
    return `  ${manifest.id.padEnd(16)} ${ticks}${tickPadding} ${done} ${next ? nextText : paint.pass(nextText)}`;
  });
  return [paint.quiet('  exercise         tasks    done   '), ...rows].join('\n');
}

/**
 * The tests this run skipped, with the reason each gave: against real servers,
 * those that need the simulation. Listed so that nothing is skipped silently.
 */
export function skippedView(graded: GradedExercise[]): string | undefined {
  const lines = graded.flatMap(({ manifest, report }) =>
    report.tests
      .filter((test) => test.status === 'skip' && test.note !== undefined)
      .map((test) => `  ${manifest.id}, task ${test.task}: ${test.name}\n    ${test.note}`),
  );
  if (lines.length === 0) return undefined;
  return [
    `Not graded in this run (${lines.length} test${lines.length === 1 ? '' : 's'}; the default run, with the simulations, grades them):`,
    ...lines,
  ].join('\n');
}

/**
 * How far up each task's hint ladder the learner has gone (the terminal reveals one step at a time),
 * and the words that say how to reveal the next step.
 */
export interface HintLadder {
  /** Hints of this task revealed so far; the failure view shows the last of them (at least the first). */
  revealed(exercise: string, task: number): number;
  /** Shown under a hint when the ladder has more steps, e.g. "npm run hint shows hint 2 of 3". */
  nextStep(exercise: string, shown: number, total: number): string;
}

/** The first failing task of an exercise: its message, the diff and a hint (the first, or the last revealed). */
export function failureView(
  { manifest, report }: GradedExercise,
  colour = false,
  ladder?: HintLadder,
): string | undefined {
  const paint = paletteFor(colour);
  const next = nextTask(taskOutcomes(report, manifest.tasks));
  if (!next?.failure) return undefined;
  const { failure } = next;
  const lines = [paint.strong(`${manifest.id}, task ${next.number}: ${next.title}`)];
  if (failure.test) lines.push(paint.fail(`  ✗ ${failure.test}`));
  lines.push(indent(failure.message, '    '));
  if (failure.expected !== undefined || failure.actual !== undefined) {
    lines.push(paint.pass(`    expected: ${failure.expected ?? '(nothing)'}`));
    lines.push(paint.fail(`    actual:   ${failure.actual ?? '(nothing)'}`));
  }
  const hints = manifest.tasks[next.number - 1]?.hints ?? [];
  if (!ladder) {
    if (hints[0]) lines.push(`  ${paint.strong('hint:')} ${hints[0]}`);
    return lines.join('\n');
  }
  const shown = Math.min(Math.max(ladder.revealed(manifest.id, next.number), 1), hints.length);
  const hint = hints[shown - 1];
  if (hint) lines.push(`  ${paint.strong(`hint ${shown} of ${hints.length}:`)} ${hint}`);
  if (shown < hints.length)
    lines.push(paint.quiet(`  ${ladder.nextStep(manifest.id, shown + 1, hints.length)}`));
  return lines.join('\n');
}

export function gradingSummary(graded: GradedExercise[], colour = false, ladder?: HintLadder): string {
  const paint = paletteFor(colour);
  const seed = graded[0]?.report.seed;
  const parts = [progressTable(graded, colour)];
  const skipped = skippedView(graded);
  if (skipped) parts.push(skipped);
  const firstFailure = graded
    .map((exercise) => failureView(exercise, colour, ladder))
    .find((view) => view !== undefined);
  if (firstFailure) parts.push(firstFailure);
  if (seed !== undefined) parts.push(paint.quiet(`seed ${seed} (replay this run with --seed ${seed})`));
  return `\n${parts.join('\n\n')}\n`;
}
