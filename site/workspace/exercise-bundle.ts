/// <reference types="vite/client" />
import type { ExerciseManifest } from '../../engine/course/manifest.ts';

/**
 * An exercise as the workspace needs it, bundled at build time: the manifest
 * (validated by the site build), the starter code, and the reference solution.
 * Each is a lazy chunk, so a lesson downloads only its own exercise, and the
 * solution only when the learner asks to see it.
 */

const manifests = import.meta.glob<ExerciseManifest>('/exercises/*/exercise.json', { import: 'default' });
const starters = import.meta.glob<string>('/exercises/*/**/*.ts', { query: '?raw', import: 'default' });
const solutions = import.meta.glob<string>('/solutions/*/**/*.ts', { query: '?raw', import: 'default' });

/** Editable file name -> contents. */
export type ExerciseFiles = Record<string, string>;

export interface ExerciseBundle {
  manifest: ExerciseManifest;
  starter: ExerciseFiles;
  solution(): Promise<ExerciseFiles>;
}

async function editableFiles(
  loaders: Record<string, () => Promise<string>>,
  folder: string,
  manifest: ExerciseManifest,
): Promise<ExerciseFiles> {
  const entries = await Promise.all(
    manifest.files.editable.map(async (file) => {
      const load = loaders[`/${folder}/${manifest.id}/${file}`];
      if (!load) throw new Error(`the course has no ${folder}/${manifest.id}/${file}`);
      return [file, await load()] as const;
    }),
  );
  return Object.fromEntries(entries);
}

export async function loadExercise(id: string): Promise<ExerciseBundle> {
  const loadManifest = manifests[`/exercises/${id}/exercise.json`];
  if (!loadManifest) throw new Error(`the course has no exercise "${id}"`);
  const manifest = await loadManifest();
  return {
    manifest,
    starter: await editableFiles(starters, 'exercises', manifest),
    solution: () => editableFiles(solutions, 'solutions', manifest),
  };
}
