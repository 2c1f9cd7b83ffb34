import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseScripts } from '../../engine/cli/exercise-scripts.ts';
import { courseOrder } from '../../engine/cli/next-exercise.ts';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';
import { shippedStarter, starterStates } from '../../engine/course/shipped-starters.ts';

/**
 * The terminal learner, through the real commands: npm test, npm run hint and npm run test:watch in an
 * exercise folder, npm run grade at the top. They run in a copy of the course whose exercises hold the
 * shipped starters (the hints remembered and the code edited here touch nothing of this checkout).
 */

const id = 'cache-aside';
const exercise = loadCourse().find((candidate) => candidate.manifest.id === id);
if (!exercise) throw new Error(`the course has no ${id} exercise`);
const [editable = ''] = exercise.manifest.files.editable;
const hints = exercise.manifest.tasks[0]?.hints ?? [];

let course = '';
let folder = '';

beforeAll(() => {
  course = mkdtempSync(join(tmpdir(), 'rj-learner-'));
  const skip = /\/(\.grade|\.stryker[^/]*|node_modules)(\/|$)/;
  for (const entry of ['engine', 'tests', 'exercises', 'solutions', 'lessons']) {
    cpSync(join(courseRoot, entry), join(course, entry), {
      recursive: true,
      filter: (src) => !skip.test(src),
    });
  }
  for (const file of ['package.json', 'tsconfig.json', 'vitest.config.ts']) {
    cpSync(join(courseRoot, file), join(course, file));
  }
  symlinkSync(join(courseRoot, 'node_modules'), join(course, 'node_modules'), 'dir');
  for (const starter of loadCourse().flatMap(starterStates)) {
    if ('text' in starter) writeFileSync(join(course, starter.path), starter.text);
  }
  folder = join(course, 'exercises', id);
});
afterAll(() => {
  if (course) rmSync(course, { recursive: true, force: true });
});

/** The learner's shell: none of this test run's npm or vitest variables, no real servers. */
function learnerEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(RJ_|GRADER_SEED$|VITEST|INIT_CWD$|npm_|FORCE_COLOR$)/.test(name),
    ),
  );
  return { ...env, NO_COLOR: '1' };
}

function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync('npm', args, { cwd, env: learnerEnv(), encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

const solve = () => writeFileSync(join(folder, editable), readFileSync(join(exercise.solutionDir, editable)));
const unsolve = () => writeFileSync(join(folder, editable), shippedStarter(exercise)[editable] ?? '');

describe('an exercise folder, for a learner', () => {
  it.each(loadCourse().map((each) => [each.manifest.id]))(
    '%s offers npm test, test:watch and hint',
    (each) => {
      const pkg = JSON.parse(readFileSync(join(courseRoot, 'exercises', each, 'package.json'), 'utf8'));
      expect(pkg.scripts).toEqual(exerciseScripts(each));
    },
  );

  it('npm test on unfinished work exits 0 with no npm error lines; npm run grade (CI) still exits 1', () => {
    const test = npm(['test'], folder);
    expect(test.output).toContain(`next: task 1, ${exercise.manifest.tasks[0]?.title}`);
    expect(test.output).not.toContain('npm error');
    expect(test.status).toBe(0);
    const grade = npm(['run', 'grade', '--', id], course);
    expect(grade.output).toContain(`next: task 1`);
    expect(grade.status).toBe(1);
  }, 240_000);

  it('npm run hint reveals the next hint of the first unfinished task, and npm test remembers it', () => {
    const first = npm(['test'], folder);
    expect(first.output).toContain(`hint 1 of ${hints.length}: ${hints[0]}`);
    expect(first.output).toContain(`npm run hint shows hint 2 of ${hints.length}`);

    const second = npm(['run', 'hint'], folder);
    expect(second.output).toContain(
      `${id}, task 1: ${exercise.manifest.tasks[0]?.title}, hint 2 of ${hints.length}`,
    );
    expect(second.output).toContain(hints[1]);
    expect(second.output).not.toContain('npm error');
    expect(second.status).toBe(0);

    const again = npm(['test'], folder);
    expect(again.output).toContain(`hint 2 of ${hints.length}: ${hints[1]}`);

    for (let step = 3; step <= hints.length; step++) npm(['run', 'hint'], folder);
    const beyond = npm(['run', 'hint'], folder);
    expect(beyond.output).toContain(`hint ${hints.length} of ${hints.length}`);
    expect(beyond.output).toContain(`That was the last hint for task 1.`);
    expect(beyond.output).toContain(`git diff --no-index ${editable} ../../solutions/${id}/${editable}`);
  }, 480_000);

  it('finishing an exercise says which exercise comes next and how to start it', () => {
    const order = courseOrder();
    const next = order[order.findIndex((candidate) => candidate.manifest.id === id) + 1];
    solve();
    try {
      const done = npm(['test'], folder);
      expect(done.output).toContain(`${id} is complete: all ${exercise.manifest.tasks.length} tasks pass.`);
      if (next) {
        expect(done.output).toContain(`Next in the course: ${next.manifest.id}, "${next.manifest.title}"`);
        expect(done.output).toContain(`cd ../${next.manifest.id} && npm test`);
      }
      expect(done.status).toBe(0);
    } finally {
      unsolve();
    }
  }, 240_000);
});

/**
 * A command in a pseudo-terminal (`script` from util-linux), as a learner's terminal runs it. `steps`
 * wait for a text to appear (`times` times over the whole output) and then act.
 */
function inTerminal(
  command: string,
  cwd: string,
  steps: Array<{ after: string; times?: number; act: (input: NodeJS.WritableStream) => void }>,
): Promise<{ output: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd, env: learnerEnv() });
    let output = '';
    const pending = [...steps];
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no "${pending[0]?.after}" in time; the terminal showed:\n${output}`));
    }, 300_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const step = pending[0];
      if (step && output.split(step.after).length - 1 >= (step.times ?? 1)) {
        pending.shift();
        step.act(child.stdin);
      }
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ output, status });
    });
  });
}

describe('watch mode in a terminal', () => {
  it('clears the screen before each run, says what it watches and how to quit, regrades on save, and q leaves cleanly', async () => {
    const watching = `Watching ${id} (this folder): save a file to grade again. Enter grades now; q or Ctrl+C quits.`;
    const { output, status } = await inTerminal('npm run test:watch', folder, [
      { after: watching, act: solve },
      { after: watching, times: 2, act: (input) => input.write('q') },
    ]);
    unsolve();
    const runs = output.split('\u001b[1;1H\u001b[0J');
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.at(-1)).toContain(`${id} is complete`);
    expect(runs.at(-1)).toContain(watching);
    expect(output).not.toContain('npm error');
    expect(status).toBe(0);
  }, 320_000);
});
