import { join } from 'node:path';
import type { ExerciseOnDisk } from '../course/course.ts';
import { loadWrongImplementations, wrongSource } from '../course/wrong.ts';
import { type Implementation, implementationIn } from './projects.ts';

/**
 * Every implementation the course keeps for an exercise, by name: the starter
 * (the exercise folder), the reference solution, and each deliberately wrong
 * implementation (the solution with its editable file replaced).
 */
export function keptImplementations(
  exercise: ExerciseOnDisk,
): Array<{ name: string; files: Implementation }> {
  const solution = implementationIn(exercise, exercise.solutionDir);
  const [editable] = exercise.manifest.files.editable;
  if (editable === undefined) throw new Error(`${exercise.manifest.id} has no editable file`);
  return [
    { name: 'starter', files: implementationIn(exercise, exercise.exerciseDir) },
    { name: 'solution', files: solution },
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
