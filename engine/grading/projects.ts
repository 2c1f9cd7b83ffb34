import { join } from 'node:path';
import type { Plugin } from 'vite';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import type { Backends } from '../../tests/support/backends.ts';
import { courseRoot, type ExerciseOnDisk } from '../course/course.ts';
import { learnerImportRefusal } from './learner-imports.ts';
import { DEFAULT_SEED } from './results.ts';

/**
 * vitest projects that grade one implementation of one exercise. Graders import
 * the code under test as `@exercise/<id>/<file>`; a project decides which files
 * answer to that name: the learner's folder, the reference solution, or a
 * deliberately wrong implementation.
 */

/**
 * Editable file name (as in the manifest) -> the code to grade: a file on disk, or
 * (for a wrong implementation) source held in memory under a path of its own.
 */
export type Implementation = Record<string, { path: string; source?: string }>;

export function implementationIn(exercise: ExerciseOnDisk, dir: string): Implementation {
  return Object.fromEntries(
    exercise.manifest.files.editable.map((file) => [file, { path: join(dir, file) }]),
  );
}

const exerciseImport = /^@exercise\/([^/]+)\/(.+)$/;
const graderDir = `${join(courseRoot, 'tests')}/`;

function implementationResolver(exercise: ExerciseOnDisk, implementation: Implementation): Plugin {
  const id = exercise.manifest.id;
  const inMemory = new Map(
    Object.values(implementation).flatMap(({ path, source }) =>
      source === undefined ? [] : [[path, source]],
    ),
  );
  const learnerFiles = new Set(Object.values(implementation).map(({ path }) => path));
  return {
    name: 'request-journey:implementation',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer !== undefined && learnerFiles.has(importer.replace(/\?.*$/, ''))) {
        // Vite has already turned the @grader alias into a path by now: name it as the learner wrote it.
        const written = source.startsWith(graderDir) ? `@grader/${source.slice(graderDir.length)}` : source;
        const refusal = learnerImportRefusal(id, written);
        if (refusal) throw new Error(refusal);
      }
      const match = exerciseImport.exec(source);
      if (!match || match[1] !== id) return null;
      const file = (match[2] ?? '').replace(/(\.ts)?$/, '.ts');
      const chosen = implementation[file];
      if (!chosen) throw new Error(`${source}: "${file}" is not an editable file of exercise ${id}`);
      return chosen.path;
    },
    load(path) {
      return inMemory.get(path) ?? null;
    },
  };
}

export function graderProject(
  exercise: ExerciseOnDisk,
  implementation: Implementation,
  options: { name: string; seed: number; backends?: Backends },
): TestProjectInlineConfiguration {
  const backends = options.backends ?? {};
  // Graders never sleep for real: on the simulations a test that takes 5 s is stuck (an infinite await).
  // Real servers need connections, replication and cleanup, on a CI machine that may be busy.
  const timeout = Object.keys(backends).length > 0 ? 30_000 : 5_000;
  return {
    plugins: [implementationResolver(exercise, implementation)],
    resolve: { alias: { '@grader': join(courseRoot, 'tests') } },
    test: {
      name: options.name,
      root: courseRoot,
      include: [exercise.graderFile],
      // Judges each test by what its body did, not by a result record that learner code can reach.
      runner: join(courseRoot, 'engine/grading/grader-runner.ts'),
      // Tells the runner which tests the grader file itself defined.
      includeTaskLocation: true,
      setupFiles: [
        join(courseRoot, 'engine/grading/seal-assertions.setup.ts'),
        join(courseRoot, 'engine/grading/never-settles.setup.ts'),
      ],
      // Graders read these with inject(): the run's seed, and the real servers to use (none: the simulations).
      provide: { seed: options.seed, backends },
      environment: 'node',
      // Worker threads, not child processes: a thread stuck in `while (true)` dies with the process
      // when the grading reporter's watchdog stops the run; a child process would be left spinning.
      pool: 'threads',
      testTimeout: timeout,
      hookTimeout: timeout,
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

export type { Backends } from '../../tests/support/backends.ts';

function serverUrl(name: string, raw: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be a URL such as ${protocols[0]}//127.0.0.1:6390, got "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new Error(`${name} must start with ${protocols.join(' or ')}//, got "${raw}"`);
  }
  return raw;
}

/**
 * The variables that name real servers to grade against. They carry the course's own prefix: a
 * generic REDIS_URL or DATABASE_URL in a learner's shell belongs to their other work and must never
 * switch grading away from the simulations.
 */
export const BACKEND_VARIABLES = {
  redis: 'RJ_REDIS_URL',
  database: 'RJ_DATABASE_URL',
  replicas: 'RJ_DATABASE_REPLICA_URLS',
} as const;

/**
 * The real servers to grade against, from RJ_REDIS_URL, RJ_DATABASE_URL and
 * RJ_DATABASE_REPLICA_URLS (comma-separated). Unset or empty: the graders use
 * their simulations; REDIS_URL, DATABASE_URL and DATABASE_REPLICA_URLS are
 * ignored. The one place these variables are read and checked.
 */
export function backendsFromEnvironment(env: Record<string, string | undefined>): Backends {
  const { redis: redisName, database: databaseName, replicas: replicasName } = BACKEND_VARIABLES;
  const backends: Backends = {};
  const redis = env[redisName]?.trim();
  if (redis) backends.redisUrl = serverUrl(redisName, redis, ['redis:', 'rediss:']);
  const database = env[databaseName]?.trim();
  if (database) backends.databaseUrl = serverUrl(databaseName, database, ['postgres:', 'postgresql:']);
  const replicas = (env[replicasName] ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (replicas.length > 0) {
    if (!backends.databaseUrl) {
      throw new Error(`${replicasName} names replicas but ${databaseName} (their primary) is not set`);
    }
    backends.replicaUrls = replicas.map((url, i) =>
      serverUrl(`${replicasName} (entry ${i + 1})`, url, ['postgres:', 'postgresql:']),
    );
  }
  return backends;
}
