import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch } from 'diff';
import { type ExerciseOnDisk, readJson } from './course.ts';
import { parseWith, type WrongImplementation, wrongCatalogSchema } from './manifest.ts';

/**
 * The deliberately wrong implementations kept beside each grader (maintainers
 * only: a learner's exercise project never contains them).
 */

export function loadWrongImplementations(exercise: ExerciseOnDisk): WrongImplementation[] {
  const file = join(exercise.wrongDir, 'wrong.json');
  return parseWith(wrongCatalogSchema, readJson(file), file, 'wrong-implementation catalog');
}

/** The source of a wrong implementation: the reference solution with the wrong's patch applied. */
export function wrongSource(exercise: ExerciseOnDisk, wrong: WrongImplementation): string {
  const [editable] = exercise.manifest.files.editable;
  const solutionFile = join(exercise.solutionDir, editable ?? '');
  const patchFile = join(exercise.wrongDir, wrong.patch);
  const patched = applyPatch(readFileSync(solutionFile, 'utf8'), readFileSync(patchFile, 'utf8'));
  if (patched === false) {
    throw new Error(
      `${patchFile} no longer applies to ${solutionFile}: re-create it with diff -u after changing the solution`,
    );
  }
  return patched;
}
