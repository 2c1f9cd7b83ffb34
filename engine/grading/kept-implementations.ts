import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { courseRoot, type ExerciseOnDisk } from '../course/course.ts';
import { starterStates } from '../course/shipped-starters.ts';
import { loadWrongImplementations, wrongSource } from '../course/wrong.ts';
import { type Implementation, implementationIn } from './projects.ts';

/** Learner files that try to change how they are graded instead of doing the exercise (any exercise). */
const cheatsDir = join(courseRoot, 'tests', 'cheats');
const cheats = () =>
  readdirSync(cheatsDir)
    .filter((file) => file.endsWith('.ts'))
    .sort();

/** Whether a kept implementation is a cheat: it must pass no task, in every runner. */
export const isCheat = (name: string) => name.startsWith('cheat:');

/**
 * The starter as shipped: the file in exercises/ while it is untouched, and once someone has worked in
 * it, the shipped text read back from git under the same path. A starter that is not recorded or cannot
 * be read back is graded as it is on disk; the self-check fails on it anyway.
 */
function shippedStarterImplementation(exercise: ExerciseOnDisk): Implementation {
  const files = implementationIn(exercise, exercise.exerciseDir);
  for (const state of starterStates(exercise)) {
    const onDisk = files[state.file];
    if (state.state === 'edited' && onDisk) files[state.file] = { ...onDisk, source: state.text };
  }
  return files;
}

/**
 * Every implementation the course keeps for an exercise, by name: the shipped
 * starter, the reference solution, each cheat (tests/cheats, in
 * place of the editable file), and each deliberately wrong implementation (the
 * solution with its editable file replaced).
 */
export function keptImplementations(
  exercise: ExerciseOnDisk,
): Array<{ name: string; files: Implementation }> {
  const solution = implementationIn(exercise, exercise.solutionDir);
  const [editable] = exercise.manifest.files.editable;
  if (editable === undefined) throw new Error(`${exercise.manifest.id} has no editable file`);
  return [
    { name: 'starter', files: shippedStarterImplementation(exercise) },
    { name: 'solution', files: solution },
    ...cheats().map((cheat) => ({
      name: `cheat:${cheat}`,
      files: { ...solution, [editable]: { path: join(cheatsDir, cheat) } },
    })),
    ...loadWrongImplementations(exercise).map((wrong) => ({
      name: `wrong:${wrong.patch}`,
      files: {
        ...solution,
        [editable]: {
          path: join(exercise.wrongDir, wrong.patch.replace(/\.diff$/, ''), editable),
          source: wrongSource(exercise, wrong),
        },
      },
    })),
  ];
}
