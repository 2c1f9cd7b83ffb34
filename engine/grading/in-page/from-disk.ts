import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { courseRoot, type ExerciseOnDisk } from '../../course/course.ts';
import { keptImplementations } from '../kept-implementations.ts';
import type { GradeReport } from '../results.ts';
import { GRADER_PACKAGES } from './grader-packages.ts';
import { gradeInPage } from './run-grader.ts';

/**
 * Node host for the in-page runner core: reads the same files the browser
 * would be given and grades one kept implementation, so the self-check can
 * compare its results with vitest's without a browser.
 */

let hostModules: Record<string, unknown> | undefined;

async function loadHostModules() {
  hostModules ??= Object.fromEntries(
    await Promise.all(GRADER_PACKAGES.map(async (name) => [name, await import(name)] as const)),
  );
  return hostModules;
}

export async function gradeInPageFromDisk(
  exercise: ExerciseOnDisk,
  implementation: string,
  seed: number,
): Promise<GradeReport> {
  const { manifest } = exercise;
  const kept = keptImplementations(exercise).find((candidate) => candidate.name === implementation);
  if (!kept) throw new Error(`${manifest.id} keeps no implementation called ${implementation}`);
  const read = (path: string) => readFileSync(path, 'utf8');
  const sources: Record<string, string> = {};
  for (const file of [manifest.files.grader, ...manifest.files.readOnly])
    sources[file] = read(join(courseRoot, file));
  for (const [file, { path, source }] of Object.entries(kept.files)) {
    sources[relative(courseRoot, join(exercise.exerciseDir, file))] = source ?? read(path);
  }
  return gradeInPage({
    exercise: manifest.id,
    seed,
    grader: manifest.files.grader,
    sources,
    hostModules: await loadHostModules(),
  });
}
