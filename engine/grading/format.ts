import type { ExerciseManifest } from '../course/manifest.ts';
import { type GradeReport, type TaskOutcome, taskOutcomes } from './results.ts';

/**
 * Plain-text views of grading results for the terminal: a progress table and a
 * failure view that shows one message, not a wall of output.
 */

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

export function progressTable(graded: GradedExercise[]): string {
  const rows = graded.map(({ manifest, report }) => {
    const outcomes = taskOutcomes(report, manifest.tasks);
    const passed = outcomes.filter((outcome) => outcome.status === 'pass').length;
    const ticks = outcomes.map((outcome) => TICK[outcome.status]).join('');
    const next = nextTask(outcomes);
    const notGraded = outcomes.filter((outcome) => outcome.status === 'not-graded').map((o) => o.number);
    const nextText = next
      ? `next: task ${next.number}, ${next.title}`
      : notGraded.length > 0
        ? `complete here; not graded here: task ${notGraded.join(', ')}`
        : 'complete';
    return `  ${manifest.id.padEnd(16)} ${ticks.padEnd(8)} ${`${passed}/${outcomes.length}`.padEnd(6)} ${nextText}`;
  });
  return ['  exercise         tasks    done   ', ...rows].join('\n');
}

/**
 * The tests this run skipped, with the reason each gave: against real servers,
 * those that need the simulation. Listed so that nothing is skipped silently.
 */
export function skippedView(graded: GradedExercise[]): string | undefined {
  const lines = graded.flatMap(({ manifest, report }) =>
    report.tests
      .filter((test) => test.status === 'skip')
      .map((test) => `  ${manifest.id}, task ${test.task}: ${test.name}\n    ${test.note ?? 'skipped'}`),
  );
  if (lines.length === 0) return undefined;
  return [
    `Not graded in this run (${lines.length} test${lines.length === 1 ? '' : 's'}; the default run, with the simulations, grades them):`,
    ...lines,
  ].join('\n');
}

/** The first failing task of an exercise: its message, the diff and the first hint of the ladder. */
export function failureView({ manifest, report }: GradedExercise): string | undefined {
  const next = nextTask(taskOutcomes(report, manifest.tasks));
  if (!next?.failure) return undefined;
  const { failure } = next;
  const lines = [`${manifest.id}, task ${next.number}: ${next.title}`];
  if (failure.test) lines.push(`  ✗ ${failure.test}`);
  lines.push(indent(failure.message, '    '));
  if (failure.expected !== undefined || failure.actual !== undefined) {
    lines.push(`    expected: ${failure.expected ?? '(nothing)'}`);
    lines.push(`    actual:   ${failure.actual ?? '(nothing)'}`);
  }
  const hint = manifest.tasks[next.number - 1]?.hints[0];
  if (hint) lines.push(`  hint: ${hint}`);
  return lines.join('\n');
}

export function gradingSummary(graded: GradedExercise[]): string {
  const seed = graded[0]?.report.seed;
  const parts = [progressTable(graded)];
  const skipped = skippedView(graded);
  if (skipped) parts.push(skipped);
  const firstFailure = graded.map(failureView).find((view) => view !== undefined);
  if (firstFailure) parts.push(firstFailure);
  if (seed !== undefined) parts.push(`seed ${seed} (replay this run with --seed ${seed})`);
  return `\n${parts.join('\n\n')}\n`;
}
