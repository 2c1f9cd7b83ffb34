import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExerciseOnDisk, loadExercise } from '../course/course.ts';
import type { HintLadder } from '../grading/format.ts';
import { type GradeReport, taskOutcomes } from '../grading/results.ts';

/**
 * The terminal's hint ladder, like `rustlings hint`: a failing task shows its first hint, and
 * `npm run hint` reveals the next step for the first unfinished task. What was revealed is kept per
 * exercise in .grade/hints.json inside the exercise folder (ignored by git), so every later run shows
 * the furthest step reached.
 */

/** Task number -> hints revealed. */
type Revealed = Record<string, number>;

const ladderFile = (exercise: string) => join(loadExercise(exercise).exerciseDir, '.grade', 'hints.json');

function readRevealed(exercise: string): Revealed {
  try {
    return JSON.parse(readFileSync(ladderFile(exercise), 'utf8')) as Revealed;
  } catch {
    return {};
  }
}

export function revealedHints(exercise: string, task: number): number {
  return readRevealed(exercise)[task] ?? 1;
}

export function rememberRevealed(exercise: string, task: number, revealed: number) {
  const file = ladderFile(exercise);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...readRevealed(exercise), [task]: revealed }, null, 2)}\n`);
}

/** The command that reveals the next hint, as typed where the learner is. */
export function hintCommand(exercise: string, inExerciseFolder: boolean): string {
  return inExerciseFolder ? 'npm run hint' : `npm run hint -- ${exercise}`;
}

/**
 * `npm run hint`: one step up the ladder of the first task that fails in these runs (exercises in the
 * order given), remembered for later runs. Returns what to print, or undefined when no task fails.
 * `afterLastHint` says where to go once the ladder's top is reached (it differs between the course and
 * a downloaded project, which has no solutions folder).
 */
export function climbHintLadder(
  runs: ReadonlyArray<{ exercise: ExerciseOnDisk; report: GradeReport | undefined }>,
  inExerciseFolder: boolean,
  afterLastHint: (exercise: ExerciseOnDisk, task: number) => string,
): string | undefined {
  const unfinished = runs.flatMap(({ exercise, report }) => {
    const task =
      report && taskOutcomes(report, exercise.manifest.tasks).find((outcome) => outcome.status === 'fail');
    return task ? [{ exercise, task }] : [];
  })[0];
  if (unfinished === undefined) return undefined;
  const { exercise, task } = unfinished;
  const { id } = exercise.manifest;
  const hints = exercise.manifest.tasks[task.number - 1]?.hints ?? [];
  const next = Math.min(revealedHints(id, task.number) + 1, hints.length);
  rememberRevealed(id, task.number, next);
  return [
    `${id}, task ${task.number}: ${task.title}, hint ${next} of ${hints.length}`,
    `  ${hints[next - 1] ?? ''}`,
    '',
    next < hints.length
      ? `Still stuck? ${hintCommand(id, inExerciseFolder)} again shows hint ${next + 1} of ${hints.length}.`
      : afterLastHint(exercise, task.number),
  ].join('\n');
}

export function terminalHintLadder(inExerciseFolder: boolean): HintLadder {
  return {
    revealed: revealedHints,
    nextStep: (exercise, next, total) =>
      `${hintCommand(exercise, inExerciseFolder)} shows hint ${next} of ${total}`,
  };
}
