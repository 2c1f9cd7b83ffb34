import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { courseRoot, type ExerciseOnDisk, loadCourse, readJson } from './course.ts';

/**
 * The starters as the course ships them. exercises/ is where learners and instructors work, so its
 * files may hold anyone's solution; the self-check and the site need the starter as committed.
 * exercises/shipped-starters.json records, for every editable file, the git object id of its shipped
 * text. A file that still has that id is the starter; an edited one is read back from git's object
 * store by that id, which holds it as long as the commit that shipped it is in the history, even when
 * solved code was committed over it later. One committed copy of each starter, and a check that it is
 * the right one.
 */

export const SHIPPED_STARTERS = 'exercises/shipped-starters.json';
export const RECORD_COMMAND = 'npm run record-starters';

/** Course-relative path of an editable file -> git blob id of its shipped text. */
type Recorded = Record<string, string>;

/** The id git gives a file's contents (`git hash-object`): SHA-1 of "blob <bytes>\0" and the bytes. */
export function gitBlobId(contents: string | Buffer): string {
  const bytes = typeof contents === 'string' ? Buffer.from(contents) : contents;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * An editable file: `file` as the manifest names it, `path` from the course root, and its state:
 * shipped (the file in exercises/ is the shipped starter), edited (`text` is the shipped starter,
 * read from git), lost (edited, and git cannot give the shipped text back), or unrecorded (a new
 * exercise, or a starter changed on purpose and not recorded).
 */
export type StarterState = { file: string; path: string } & (
  | { state: 'shipped'; text: string }
  | { state: 'edited'; text: string }
  | { state: 'lost'; problem: string }
  | { state: 'unrecorded'; problem: string }
);

function readRecord(root: string): Recorded {
  const file = join(root, SHIPPED_STARTERS);
  return existsSync(file) ? (readJson(file) as Recorded) : {};
}

function fromGit(root: string, blob: string): string | undefined {
  const shown = spawnSync('git', ['cat-file', 'blob', blob], { cwd: root, encoding: 'buffer' });
  return shown.status === 0 ? shown.stdout.toString('utf8') : undefined;
}

/** Where each editable file of an exercise stands against the record of its course. */
export function starterStates(exercise: ExerciseOnDisk): StarterState[] {
  const root = join(exercise.exerciseDir, '..', '..');
  const recorded = readRecord(root);
  return exercise.manifest.files.editable.map((file): StarterState => {
    const absolute = join(exercise.exerciseDir, file);
    const path = relative(root, absolute);
    const blob = recorded[path];
    const bytes = existsSync(absolute) ? readFileSync(absolute) : Buffer.alloc(0);
    if (blob === undefined) {
      return {
        file,
        path,
        state: 'unrecorded',
        problem: `${path} is not in ${SHIPPED_STARTERS}. If it is the starter to ship, run ${RECORD_COMMAND}.`,
      };
    }
    if (gitBlobId(bytes) === blob) return { file, path, state: 'shipped', text: bytes.toString('utf8') };
    const shipped = fromGit(root, blob);
    if (shipped !== undefined) return { file, path, state: 'edited', text: shipped };
    return {
      file,
      path,
      state: 'lost',
      problem:
        `${path} has been edited, and this copy of the course has no git history to read the shipped ` +
        `starter from. Put the starter back (git checkout -- ${path}, or copy it from a fresh download).`,
    };
  });
}

/**
 * The shipped text of every editable file of an exercise, by its manifest name. Throws, naming each
 * file and how to fix it, when a starter is not recorded or cannot be read back.
 */
export function shippedStarter(exercise: ExerciseOnDisk): Record<string, string> {
  const states = starterStates(exercise);
  const problems = states.flatMap((state) => ('problem' in state ? [state.problem] : []));
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return Object.fromEntries(states.map((state) => [state.file, 'text' in state ? state.text : '']));
}

/** Recorded paths that are no longer an editable file of any exercise (renamed or removed). */
export function staleRecords(root = courseRoot): string[] {
  const editable = new Set(
    loadCourse(root).flatMap((exercise) =>
      exercise.manifest.files.editable.map((file) => relative(root, join(exercise.exerciseDir, file))),
    ),
  );
  return Object.keys(readRecord(root)).filter((path) => !editable.has(path));
}

/**
 * Records the editable files now in exercises/ as the starters to ship, for every exercise, and stores
 * each text in git's object store so it can be read back once edited. For maintainers who changed a
 * starter on purpose or added an exercise. Returns the paths whose record changed.
 */
export function recordShippedStarters(root = courseRoot): string[] {
  const before = readRecord(root);
  const record: Recorded = {};
  for (const exercise of loadCourse(root)) {
    for (const file of exercise.manifest.files.editable) {
      const absolute = join(exercise.exerciseDir, file);
      const stored = spawnSync('git', ['hash-object', '-w', absolute], { cwd: root, encoding: 'utf8' });
      record[relative(root, absolute)] =
        stored.status === 0 ? stored.stdout.trim() : gitBlobId(readFileSync(absolute));
    }
  }
  writeFileSync(join(root, SHIPPED_STARTERS), `${JSON.stringify(record, null, 2)}\n`);
  return Object.keys(record).filter((path) => before[path] !== record[path]);
}
