/**
 * Read access to the course's own files (graders, harnesses, support, engine)
 * by course-relative path. The site bundles them (bundled-course-files.ts);
 * Node tests read them from disk (disk-course-files.ts).
 */
export interface CourseFiles {
  /** Every course-relative path that can be read, e.g. "tests/support/clock.ts". */
  readonly paths: readonly string[];
  read(path: string): Promise<string>;
}

/** CourseFiles over lazy loaders keyed by root-absolute path, the shape `import.meta.glob` produces. */
export function courseFilesFrom(loaders: Record<string, () => Promise<string>>): CourseFiles {
  const paths = Object.keys(loaders).map((key) => key.replace(/^\//, ''));
  return {
    paths,
    read: (path) => {
      const load = loaders[`/${path}`];
      return load ? load() : Promise.reject(new Error(`the course has no file ${path}`));
    },
  };
}

/** Reads several files at once into {path: contents}. */
export async function readAll(files: CourseFiles, paths: readonly string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(paths.map(async (path) => [path, await files.read(path)] as const));
  return Object.fromEntries(entries);
}
