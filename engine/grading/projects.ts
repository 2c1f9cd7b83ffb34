import { join } from 'node:path';
import type { Plugin } from 'vite';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { courseRoot, type ExerciseOnDisk, loadWrongImplementations } from '../course/course.ts';

/**
 * vitest projects that grade one implementation of one exercise. Graders import
 * the code under test as `@exercise/<id>/<file>`; a project decides which files
 * answer to that name: the learner's folder, the reference solution, or a
 * deliberately wrong implementation.
 */

/** Editable file name (as in the manifest) -> absolute path of the code to grade. */
export type Implementation = Record<string, string>;

export function implementationIn(exercise: ExerciseOnDisk, dir: string): Implementation {
  return Object.fromEntries(exercise.manifest.files.editable.map((file) => [file, join(dir, file)]));
}

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
      name: `wrong:${wrong.file}`,
      files: { ...solution, [editable]: join(exercise.wrongDir, wrong.file) },
    })),
  ];
}

const exerciseImport = /^@exercise\/([^/]+)\/(.+)$/;

function implementationResolver(exercise: ExerciseOnDisk, implementation: Implementation): Plugin {
  const id = exercise.manifest.id;
  return {
    name: 'request-journey:implementation',
    enforce: 'pre',
    resolveId(source) {
      const match = exerciseImport.exec(source);
      if (!match || match[1] !== id) return null;
      const file = (match[2] ?? '').replace(/(\.ts)?$/, '.ts');
      const path = implementation[file];
      if (!path) throw new Error(`${source}: "${file}" is not an editable file of exercise ${id}`);
      return path;
    },
  };
}

export const DEFAULT_SEED = 20261127;

export function graderProject(
  exercise: ExerciseOnDisk,
  implementation: Implementation,
  options: { name: string; seed: number },
): TestProjectInlineConfiguration {
  return {
    plugins: [implementationResolver(exercise, implementation)],
    resolve: { alias: { '@grader': join(courseRoot, 'tests') } },
    test: {
      name: options.name,
      root: courseRoot,
      include: [exercise.graderFile],
      provide: { seed: options.seed },
      environment: 'node',
      // Graders never sleep for real; a test that takes this long is stuck (an infinite await).
      testTimeout: 5_000,
      hookTimeout: 5_000,
    },
  };
}

/** The seed for this run: `--seed`/GRADER_SEED to replay one, otherwise the course default. */
export function seedFromEnvironment(env: Record<string, string | undefined>): number {
  const raw = env.GRADER_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`GRADER_SEED must be a non-negative integer, got "${raw}"`);
  return seed;
}
