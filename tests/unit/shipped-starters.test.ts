import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { courseRoot, loadExercise } from '../../engine/course/course.ts';
import {
  gitBlobId,
  RECORD_COMMAND,
  recordShippedStarters,
  SHIPPED_STARTERS,
  shippedStarter,
  staleRecords,
  starterStates,
} from '../../engine/course/shipped-starters.ts';
import { gradeInPageFromDisk } from '../../engine/grading/in-page/from-disk.ts';
import { keptImplementations } from '../../engine/grading/kept-implementations.ts';
import { DEFAULT_SEED, taskOutcomes } from '../../engine/grading/results.ts';
import { shippedStarters } from '../../site/integrations/shipped-starters.ts';

/**
 * A course in a temporary git repository with one exercise, where an instructor then solves the
 * exercise in exercises/: the self-check must still grade (and the site still ship) the starter.
 */

const id = 'cache-aside';
const real = loadExercise(id);
const [editable] = real.manifest.files.editable;
if (editable === undefined) throw new Error(`${id} has no editable file`);
// The shipped text even when someone has worked in this checkout's exercises/.
const starterText = shippedStarter(real)[editable] ?? '';
const solutionText = readFileSync(join(real.solutionDir, editable), 'utf8');

let root = '';
const git = (...args: string[]) =>
  spawnSync('git', ['-c', 'user.name=Course', '-c', 'user.email=course@example.org', ...args], {
    cwd: root,
    encoding: 'utf8',
  });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rj-starters-'));
  for (const folder of [`exercises/${id}`, `solutions/${id}`, `tests/${id}`]) {
    cpSync(join(courseRoot, folder), join(root, folder), { recursive: true });
  }
  writeFileSync(join(root, `exercises/${id}`, editable), starterText);
  git('init', '-q');
  recordShippedStarters(root);
  git('add', '.');
  git('commit', '-q', '-m', 'the course as shipped');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const solveIt = () => writeFileSync(join(root, `exercises/${id}`, editable), solutionText);

describe('the shipped starters', () => {
  it('record git object ids, so git can give back the text', () => {
    const record = JSON.parse(readFileSync(join(root, SHIPPED_STARTERS), 'utf8'));
    expect(record).toEqual({ [`exercises/${id}/${editable}`]: gitBlobId(starterText) });
    expect(git('rev-parse', `HEAD:exercises/${id}/${editable}`).stdout.trim()).toBe(gitBlobId(starterText));
  });

  it('an untouched starter is shipped as it is', () => {
    expect(starterStates(loadExercise(id, root))).toEqual([
      { file: editable, path: `exercises/${id}/${editable}`, state: 'shipped', text: starterText },
    ]);
  });

  it('a solved exercise folder, even committed, still gives the shipped starter', () => {
    solveIt();
    git('commit', '-q', '-am', 'my solution');
    const exercise = loadExercise(id, root);
    expect(starterStates(exercise)).toMatchObject([{ state: 'edited', text: starterText }]);
    expect(shippedStarter(exercise)).toEqual({ [editable]: starterText });
  });

  it('the self-check grades the shipped starter, not the solution in exercises/: it fails every task', async () => {
    solveIt();
    const exercise = loadExercise(id, root);
    const starter = keptImplementations(exercise).find((kept) => kept.name === 'starter');
    expect(starter?.files[editable]?.source).toBe(starterText);
    const report = await gradeInPageFromDisk(exercise, 'starter', DEFAULT_SEED);
    const passing = taskOutcomes(report, exercise.manifest.tasks).filter((task) => task.status === 'pass');
    expect(passing).toEqual([]);
  }, 60_000);

  it('without git history an edited starter is reported, with how to put it back', () => {
    solveIt();
    rmSync(join(root, '.git'), { recursive: true });
    const exercise = loadExercise(id, root);
    expect(starterStates(exercise)).toMatchObject([{ state: 'lost' }]);
    expect(() => shippedStarter(exercise)).toThrowError(
      `exercises/${id}/${editable} has been edited, and this copy of the course has no git history`,
    );
  });

  it('a starter missing from the record, or a record of a file that is gone, is named with the fix', () => {
    writeFileSync(join(root, SHIPPED_STARTERS), JSON.stringify({ 'exercises/gone/gone.ts': 'abc' }));
    const exercise = loadExercise(id, root);
    expect(() => shippedStarter(exercise)).toThrowError(
      `exercises/${id}/${editable} is not in ${SHIPPED_STARTERS}. If it is the starter to ship, run ${RECORD_COMMAND}.`,
    );
    expect(staleRecords(root)).toEqual(['exercises/gone/gone.ts']);
  });
});

/** What the site's bundler gives the workspace for a starter's raw import, as exercise-bundle.ts asks. */
async function siteStarter(): Promise<string> {
  const vite = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: [shippedStarters(root)],
    server: { middlewareMode: true, watch: null },
  });
  try {
    const module = await vite.ssrLoadModule(`/exercises/${id}/${editable}?raw`);
    return module.default as string;
  } finally {
    await vite.close();
  }
}

describe('the site build', () => {
  it('ships the shipped starter when exercises/ holds a solution', async () => {
    solveIt();
    expect(await siteStarter()).toBe(starterText);
  }, 30_000);

  it('refuses to build, naming the file and the fix, when the shipped starter cannot be read back', async () => {
    solveIt();
    rmSync(join(root, '.git'), { recursive: true });
    await expect(siteStarter()).rejects.toThrowError(
      `exercises/${id}/${editable} has been edited, and this copy of the course has no git history`,
    );
  }, 30_000);
});
