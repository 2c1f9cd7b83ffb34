import { dependencies, devDependencies } from '../../package.json';
import type { ExerciseManifest } from '../course/manifest.ts';
import { GRADER_PACKAGES } from '../grading/in-page/grader-packages.ts';
import { type CourseFiles, readAll } from './course-files.ts';
import projectLock from './project-lock/package-lock.json';

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
  'engine/grading/grader-runner.ts',
  'engine/grading/learner-imports.ts',
  'engine/grading/never-settles.setup.ts',
  'engine/grading/never-settles.ts',
  'engine/grading/projects.ts',
  'engine/grading/reporter.ts',
  'engine/grading/results.ts',
  'engine/grading/seal-assertions.setup.ts',
  'engine/grading/seal-assertions.ts',
  'engine/grading/verdict.ts',
  // The config grade.mjs runs, with the terminal's hint ladder, as in an exercise folder of the course.
  'engine/cli/project.config.ts',
  'engine/cli/hint-ladder.ts',
] as const;

/** The packages the project installs, at the exact versions the course pins. */
export const PROJECT_PACKAGES = [
  'vitest',
  // vitest's own runner, at vitest's version: never-settles.setup.ts wraps each grader test's function.
  '@vitest/runner',
  // and its error serialiser, for the failure grader-runner.ts restores.
  '@vitest/utils',
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
  // Grading packages are the course's dependencies (a learner-only install), the rest dev dependencies.
  const pinned: Record<string, string | undefined> = { ...devDependencies, ...dependencies };
  return Object.fromEntries(
    [...PROJECT_PACKAGES].sort().map((name) => {
      const version = pinned[name];
      if (version === undefined) throw new Error(`the course does not pin ${name} in package.json`);
      return [name, version];
    }),
  );
}

/** The package name the stored lock (engine/runtime/project-lock/package-lock.json) is generated under. */
export const PROJECT_LOCK_NAME = 'request-journey-exercise';

const projectName = (manifest: Pick<ExerciseManifest, 'id'>) => `request-journey-${manifest.id}`;

function packageJson(manifest: ExerciseManifest): string {
  const project = {
    name: projectName(manifest),
    private: true,
    type: 'module',
    description: manifest.summary,
    engines: { node: '>=20' },
    scripts: {
      test: 'node grade.mjs',
      'test:watch': 'node grade.mjs --watch',
      hint: 'node grade.mjs --hint',
    },
    devDependencies: projectDependencies(),
  };
  return `${JSON.stringify(project, null, 2)}\n`;
}

/**
 * The package-lock.json the project ships, so `npm install` (and the WebContainer) install exactly
 * what the course was tested with: the stored lock for projectDependencies(), under this project's name.
 * `npx tsx engine/cli/update-project-lock.ts` regenerates it after a pinned version changes.
 */
export function projectLockJson(manifest: Pick<ExerciseManifest, 'id'>): string {
  const lock = structuredClone(projectLock) as {
    name: string;
    packages: Record<string, { name?: string; devDependencies?: Record<string, string> }>;
  };
  const root = lock.packages[''];
  const locked = root?.devDependencies ?? {};
  const pinned = projectDependencies();
  const differs = Object.keys({ ...locked, ...pinned }).filter((name) => locked[name] !== pinned[name]);
  if (differs.length > 0) {
    throw new Error(
      `the project lock does not match the pinned versions of ${differs.join(', ')}: run npx tsx engine/cli/update-project-lock.ts`,
    );
  }
  lock.name = projectName(manifest);
  if (root) root.name = projectName(manifest);
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/**
 * The project's `npm test`: vitest, behind a small command line that accepts the `--seed` every run
 * prints (`npm test -- --seed 1234`), so a run replays the same way here as in the course
 * (`GRADER_SEED=1234 npm test` works too), and answers an unknown flag with its usage. As in an
 * exercise folder of the course, unfinished tasks are progress (exit code 0, so npm adds no error
 * lines) and `npm run hint` (`--hint`) reveals the next hint.
 */
export const GRADE_SCRIPT = String.raw`// npm test grades this exercise (see README.md): vitest behind a small command line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const usage = [
  "Grade this exercise with the course's grader.",
  '',
  '  npm test                    grade it: which tasks pass, then the first failure and a hint',
  '  npm test -- --seed 1234     replay a run with the seed it printed (or: GRADER_SEED=1234 npm test)',
  '  npm run test:watch          grade again every time you save',
  '  npm run hint                the next hint for the first unfinished task (a nudge, the concept, then code)',
  '',
  "Against real servers instead of the built-in simulations, name them in the course's own variables:",
  '  RJ_REDIS_URL=redis://127.0.0.1:6390 RJ_DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres \\',
  '  RJ_DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:5434/postgres npm test',
  'REDIS_URL and DATABASE_URL are ignored: your shell may set them for other work.',
].join('\n');

let values;
try {
  ({ values } = parseArgs({
    options: {
      seed: { type: 'string' },
      watch: { type: 'boolean', short: 'w', default: false },
      hint: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  const option = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  console.error((option ? 'Unknown option ' + option + '.' : error.message) + '\n\n' + usage);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const env = { ...process.env };
if (values.seed !== undefined) {
  if (!/^\d+$/.test(values.seed)) {
    console.error('--seed takes the number a run printed, such as --seed 1234; got "' + values.seed + '"');
    process.exit(2);
  }
  env.GRADER_SEED = values.seed;
}
let vitest;
try {
  vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
} catch {
  console.error('vitest is not installed here yet: run npm install first, then npm test.');
  process.exit(2);
}
if (values.hint) {
  env.RJ_NEXT_HINT = '1';
  console.log('Grading your code to find your first unfinished task...');
}
// The reporter writes the run's results here: when it did, the code was graded, and unfinished tasks are not an error.
const results = mkdtempSync(join(tmpdir(), 'request-journey-'));
env.GRADE_RESULTS_FILE = join(results, 'results.json');
const mode = values.watch ? [] : ['run'];
const run = spawnSync(process.execPath, [vitest, ...mode, '--config', 'engine/cli/project.config.ts'], {
  stdio: 'inherit',
  env,
});
const graded = existsSync(env.GRADE_RESULTS_FILE);
rmSync(results, { recursive: true, force: true });
process.exit(graded ? 0 : (run.status ?? 1));
`;

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
hint. Unfinished tasks are progress, not an error: npm test exits with code 0 whenever it could grade your code.
\`npm run hint\` reveals the next hint for the first unfinished task, one step at a time (a nudge, then the
concept, then a code-shaped hint); every later \`npm test\` shows the last one you reached.
\`npm run test:watch\` grades again every time you save. Each run prints its seed; \`npm test -- --seed
<seed>\` replays it exactly (so does \`GRADER_SEED=<seed> npm test\`). \`package-lock.json\` pins every package
to the version the course was tested with.

To grade against real Redis and PostgreSQL instead of the built-in simulations, name them in the course's own
variables: \`RJ_REDIS_URL\`, \`RJ_DATABASE_URL\` and \`RJ_DATABASE_REPLICA_URLS\` (comma-separated). A
\`REDIS_URL\` or \`DATABASE_URL\` your shell sets for other work is ignored.

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
    'package-lock.json': projectLockJson(manifest),
    'grade.mjs': GRADE_SCRIPT,
    'README.md': readme(manifest),
    ...course,
    [`${exerciseDir}/exercise.json`]: `${JSON.stringify(manifest, null, 2)}\n`,
    ...learner,
  };
}
