import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExercise } from '../course/course.ts';
import type { HintLadder } from '../grading/format.ts';

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

export function terminalHintLadder(inExerciseFolder: boolean): HintLadder {
  return {
    revealed: revealedHints,
    nextStep: (exercise, next, total) =>
      `${hintCommand(exercise, inExerciseFolder)} shows hint ${next} of ${total}`,
  };
}
