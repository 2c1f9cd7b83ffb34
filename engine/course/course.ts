import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExerciseManifest, parseManifest } from './manifest.ts';

/** Node-side access to the course on disk: where each exercise, solution and grader lives. */

export const courseRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ExerciseOnDisk {
  manifest: ExerciseManifest;
  /** The learner's folder: starter code in a fresh clone, their work afterwards. */
  exerciseDir: string;
  solutionDir: string;
  graderFile: string;
  wrongDir: string;
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} could not be read as JSON: ${(error as Error).message}`);
  }
}

export function loadExercise(id: string, root = courseRoot): ExerciseOnDisk {
  const exerciseDir = join(root, 'exercises', id);
  const file = join(exerciseDir, 'exercise.json');
  const manifest = parseManifest(readJson(file), file);
  if (manifest.id !== id) throw new Error(`${file}: id "${manifest.id}" must match its folder name "${id}"`);
  return {
    manifest,
    exerciseDir,
    solutionDir: join(root, 'solutions', id),
    graderFile: join(root, manifest.files.grader),
    wrongDir: join(root, 'tests', id, 'wrong'),
  };
}

/** Every exercise, in course order (phase, then id). */
export function loadCourse(root = courseRoot): ExerciseOnDisk[] {
  const dir = join(root, 'exercises');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'exercise.json')))
    .map((entry) => loadExercise(entry.name, root))
    .sort((a, b) => a.manifest.phase - b.manifest.phase || a.manifest.id.localeCompare(b.manifest.id));
}
