import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import { exerciseProject } from '../../engine/runtime/exercise-project.ts';

/**
 * The downloaded project, unpacked and run as a learner runs it: `npm test` and `npm run hint` in its
 * folder (node_modules linked to the course's own install, which the project's lock pins to), once
 * with the reference solution and once with the starter, as an exercise folder of the course is.
 */

const exercise = loadCourse().find((candidate) => candidate.manifest.id === 'cache-aside');
if (!exercise) throw new Error('the course has no cache-aside exercise');
const { manifest } = exercise;
let dir = '';
let starterDir = '';

async function unpack(files: Record<string, string>): Promise<string> {
  const tree = await exerciseProject({ manifest, files }, bundledCourseFiles);
  const folder = mkdtempSync(join(tmpdir(), 'rj-project-'));
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  symlinkSync(join(courseRoot, 'node_modules'), join(folder, 'node_modules'), 'dir');
  return folder;
}

beforeAll(async () => {
  dir = await unpack(
    Object.fromEntries(
      manifest.files.editable.map((file) => [file, readFileSync(join(exercise.solutionDir, file), 'utf8')]),
    ),
  );
  starterDir = await unpack(shippedStarter(exercise));
});
afterAll(() => {
  for (const folder of [dir, starterDir]) if (folder) rmSync(folder, { recursive: true, force: true });
});

/** `npm test -- <args>` in the project, with a learner's shell that may set unrelated variables. */
function npmTest(args: string[], env: Record<string, string> = {}, folder = dir) {
  return npm(['test', '--', ...args], env, folder);
}

function npm(args: string[], env: Record<string, string> = {}, folder = dir) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(RJ_|GRADER_SEED$|REDIS_URL$|DATABASE_URL$|DATABASE_REPLICA_URLS$|VITEST)/.test(name),
    ),
  );
  const run = spawnSync('npm', args, {
    cwd: folder,
    env: { ...clean, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}`, stderr: run.stderr };
}

describe('the downloaded project, run with npm test', () => {
  it('replays a run with the seed it printed: npm test -- --seed N', () => {
    const run = npmTest(['--seed', '4242']);
    expect(run.output).toContain('replay this run with --seed 4242');
    expect(run.output).toMatch(new RegExp(`${manifest.tasks.length}/${manifest.tasks.length}`));
    expect(run.status).toBe(0);
  }, 120_000);

  it('ignores a generic REDIS_URL / DATABASE_URL in the shell: a correct solution still passes every task', () => {
    const run = npmTest([], {
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://someone@127.0.0.1:1/their_app',
      DATABASE_REPLICA_URLS: 'postgres://someone@127.0.0.1:2/their_app',
    });
    expect(run.output).not.toMatch(/real server|Cannot find package|could not (connect|use)/i);
    // The reference solution prints nothing, so nothing may be shown as printed by it (a warning of vitest's was).
    expect(run.output).not.toContain('Your code printed');
    expect(run.output).toMatch(new RegExp(`${manifest.tasks.length}/${manifest.tasks.length}`));
    expect(run.status).toBe(0);
  }, 120_000);

  it('answers an unknown flag or a bad seed with the usage and exit code 2, not a stack trace', () => {
    for (const args of [['--bogus'], ['--seed', 'abc'], ['cache-aside']]) {
      const run = npmTest(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    const unknown = npmTest(['--bogus']);
    expect(unknown.stderr).toContain('Unknown option --bogus.');
    expect(unknown.stderr).toContain('npm test -- --seed 1234');
    expect(npmTest(['--help'])).toMatchObject({ status: 0, output: expect.stringContaining('RJ_REDIS_URL') });
  }, 120_000);

  it('ends an unfinished run with exit code 0 and no npm error lines, and climbs the hint ladder with npm run hint', () => {
    const hints = manifest.tasks[0]?.hints ?? [];
    const unfinished = npmTest([], {}, starterDir);
    expect(unfinished.output).toMatch(new RegExp(`0/${manifest.tasks.length}`));
    expect(unfinished.output).not.toContain('npm error');
    expect(unfinished.status).toBe(0);
    expect(unfinished.output).toContain(`hint 1 of ${hints.length}: ${hints[0]}`);
    expect(unfinished.output).toContain(`npm run hint shows hint 2 of ${hints.length}`);

    const hint = npm(['run', 'hint'], {}, starterDir);
    expect(hint.status).toBe(0);
    expect(hint.output).toContain(
      `cache-aside, task 1: ${manifest.tasks[0]?.title}, hint 2 of ${hints.length}`,
    );
    expect(hint.output).toContain(hints[1]);
    expect(hint.output).not.toContain('npm error');
    // Every later npm test shows the furthest hint reached.
    expect(npmTest([], {}, starterDir).output).toContain(`hint 2 of ${hints.length}: ${hints[1]}`);
  }, 240_000);
});
