import { strToU8, zipSync } from 'fflate';
import type { ProjectTree } from './exercise-project.ts';

/**
 * The exercise project as a zip to download, every file inside one folder named
 * after the exercise: `new Blob([projectZip(tree, zipFolderName(id))], { type: 'application/zip' })`.
 */
export function projectZip(tree: ProjectTree, folder: string): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(tree).map(([path, text]) => [`${folder}/${path}`, strToU8(text)] as const);
  // fflate returns a fresh array over its own ArrayBuffer (never a shared one), which a Blob accepts.
  return zipSync(Object.fromEntries(entries)) as Uint8Array<ArrayBuffer>;
}

export const zipFolderName = (exerciseId: string) => `request-journey-${exerciseId}`;
