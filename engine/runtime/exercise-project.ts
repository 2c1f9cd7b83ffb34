import { devDependencies } from '../../package.json';
import type { ExerciseManifest } from '../course/manifest.ts';
import { GRADER_PACKAGES } from '../grading/in-page/grader-packages.ts';
import { type CourseFiles, readAll } from './course-files.ts';

/**
 * One exercise as a standalone project that grades itself with `npm install &&
 * npm test`: the learner's files, the read-only grader and harness, the support
 * helpers, and the slice of the engine vitest needs, laid out as in the course
 * so every import resolves unchanged. The zip download and the WebContainer
 * both start from this tree.
 */

/** Course-relative path -> file contents. */
export type ProjectTree = Record<string, string>;

/** What vitest needs from the course to grade: its config, the grading reporter and what they import. */
export const ENGINE_FILES = [
  'vitest.config.ts',
  'tsconfig.json',
  'engine/course/course.ts',
  'engine/course/manifest.ts',
  'engine/grading/format.ts',
  'engine/grading/learner-imports.ts',
  'engine/grading/projects.ts',
  'engine/grading/reporter.ts',
  'engine/grading/results.ts',
  'engine/grading/seal-assertions.setup.ts',
  'engine/grading/seal-assertions.ts',
] as const;

/** The packages the project installs, at the exact versions the course pins. */
export const PROJECT_PACKAGES = [
  'vitest',
  // The engine's course loader reads manifests (zod) and applies wrong-implementation patches (diff).
  'zod',
  'diff',
  ...GRADER_PACKAGES,
  // ioredis-mock loads parts of ioredis; the types are for the learner's editor.
  'ioredis',
  '@types/node',
  '@types/pg',
] as const;

/** Package -> exact version, the same for every exercise. */
export function projectDependencies(): Record<string, string> {
  const pinned = devDependencies as Record<string, string | undefined>;
  return Object.fromEntries(
    [...PROJECT_PACKAGES].sort().map((name) => {
      const version = pinned[name];
      if (version === undefined) throw new Error(`the course does not pin ${name} in package.json`);
      return [name, version];
    }),
  );
}

function packageJson(manifest: ExerciseManifest): string {
  const project = {
    name: `request-journey-${manifest.id}`,
    private: true,
    type: 'module',
    description: manifest.summary,
    engines: { node: '>=20' },
    scripts: { test: 'vitest run', 'test:watch': 'vitest' },
    devDependencies: projectDependencies(),
  };
  return `${JSON.stringify(project, null, 2)}\n`;
}

function readme(manifest: ExerciseManifest): string {
  const [editable] = manifest.files.editable;
  const tasks = manifest.tasks.map((task) => `${task.number}. ${task.title}`).join('\n');
  return `# ${manifest.title}

${manifest.summary}

An exercise from Request Journey, packaged to work on your own machine with Node.js 20 or newer.

## Grade offline

    npm install
    npm test

\`npm test\` runs the same grader as the course site and prints which tasks pass, the first failure and a
hint. \`npm run test:watch\` grades again every time you save. Each run prints its seed; \`GRADER_SEED=<seed>
npm test\` replays it exactly.

## Where things are

- \`exercises/${manifest.id}/${editable ?? ''}\`: your code, the only file to edit.
- \`${manifest.files.grader}\` and the files beside it: the grader and the simulated systems it builds. Read
  them to see how you are graded; changing them changes nothing on the course site.

## Tasks

${tasks}

## How it is graded

${manifest.howGraded}
`;
}

export interface ProjectRequest {
  manifest: ExerciseManifest;
  /** The learner's editable files, by the manifest's editable name. */
  files: Record<string, string>;
}

export async function exerciseProject(
  { manifest, files }: ProjectRequest,
  courseFiles: CourseFiles,
): Promise<ProjectTree> {
  const support = courseFiles.paths.filter((path) => path.startsWith('tests/support/'));
  const course = await readAll(courseFiles, [
    ...new Set([...ENGINE_FILES, ...support, manifest.files.grader, ...manifest.files.readOnly]),
  ]);
  const exerciseDir = `exercises/${manifest.id}`;
  const learner = Object.fromEntries(
    manifest.files.editable.map((file) => {
      const source = files[file];
      if (source === undefined) throw new Error(`no code was given for ${file}`);
      return [`${exerciseDir}/${file}`, source];
    }),
  );
  return {
    'package.json': packageJson(manifest),
    'README.md': readme(manifest),
    ...course,
    [`${exerciseDir}/exercise.json`]: `${JSON.stringify(manifest, null, 2)}\n`,
    ...learner,
  };
}
