import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { startVitest } from 'vitest/node';
import { courseRoot, type ExerciseOnDisk, loadCourse } from '../engine/course/course.ts';
import { SHIPPED_STARTERS, staleRecords, starterStates } from '../engine/course/shipped-starters.ts';
import { loadWrongImplementations } from '../engine/course/wrong.ts';
import { gradeInPageFromDisk } from '../engine/grading/in-page/from-disk.ts';
import { isCheat, keptImplementations } from '../engine/grading/kept-implementations.ts';
import GradingReporter from '../engine/grading/reporter.ts';
import { comparable, DEFAULT_SEED, type GradeReport, taskOutcomes } from '../engine/grading/results.ts';

/**
 * The course's self-check (`npm test`, run by CI): the course as shipped must
 * hold together. Every check prints one line; any failure exits non-zero.
 *   - manifests valid, every file they name exists
 *   - every starter is recorded in exercises/shipped-starters.json
 *   - type check and lint clean; the engine's unit tests pass
 *   - each shipped starter fails every task, each solution passes every task,
 *     each wrong implementation is rejected by the task it breaks, naming the mistake,
 *     and no cheat (tests/cheats: learner code that reaches for the grader) passes any task
 *   - a second run with the same seed gives identical results
 *   - the in-page (Worker) runner core gives the same results as vitest
 * It grades the starters as shipped (read back from git where someone has worked in exercises/),
 * never the learner's work, so solving the exercises cannot make it fail.
 */

const ABOUT = `Request Journey self-check, for maintainers and CI: does the course as shipped hold together?
It grades the shipped starters, reference solutions, wrong implementations and cheats.
Your own work in exercises/ is left alone and not graded here: npm run grade grades it.`;

const failures: string[] = [];
function check(ok: boolean, line: string, why?: string) {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${line}`);
  if (!ok) failures.push(why ? `${line}: ${why}` : line);
}

function run(label: string, command: string, args: string[], cwd = courseRoot) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  const ok = result.status === 0;
  check(ok, label, ok ? undefined : `${result.stdout}${result.stderr}`.trim().slice(-4000));
}

function section(title: string) {
  console.log(`\n${title}`);
}

async function gradeAll(seed: number): Promise<Map<string, GradeReport>> {
  let reports = new Map<string, GradeReport>();
  process.env.GRADER_SEED = String(seed);
  // The self-check proves the course on its simulations, as the browser runs it; real servers named in
  // the environment are for npm run grade:real.
  for (const name of ['RJ_REDIS_URL', 'RJ_DATABASE_URL', 'RJ_DATABASE_REPLICA_URLS'])
    delete process.env[name];
  const vitest = await startVitest('test', [], {
    root: courseRoot,
    config: join(courseRoot, 'tests/self-check.vitest.ts'),
    watch: false,
    reporters: [new GradingReporter({ print: false, onReports: (all) => (reports = all) })],
  });
  await vitest.close();
  return reports;
}

function checkManifestFiles(exercise: ExerciseOnDisk) {
  const { manifest } = exercise;
  const missing = [
    ...manifest.files.editable.flatMap((file) => [
      join(exercise.exerciseDir, file),
      join(exercise.solutionDir, file),
    ]),
    exercise.graderFile,
    ...manifest.files.readOnly.map((file) => join(courseRoot, file)),
  ].filter((file) => !existsSync(file));
  check(missing.length === 0, `${manifest.id}: every file the manifest names exists`, missing.join(', '));
}

/**
 * The course files a grader reaches through relative imports, transitively. The Worker, the
 * WebContainer and the zip download ship exactly the files the manifest names, so each must be listed.
 */
function graderImports(exercise: ExerciseOnDisk): string[] {
  const found = new Set<string>();
  const visit = (file: string) => {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*'(\.[^']+)'/g)) {
      const target = join(dirname(file), `${specifier}`.replace(/(\.ts)?$/, '.ts'));
      const path = relative(courseRoot, target);
      if (found.has(path) || path.startsWith('exercises/') || path.startsWith('solutions/')) continue;
      found.add(path);
      if (existsSync(target)) visit(target);
    }
  };
  visit(exercise.graderFile);
  return [...found];
}

function checkGraderFilesListed(exercise: ExerciseOnDisk) {
  const { manifest } = exercise;
  const unlisted = graderImports(exercise).filter((file) => !manifest.files.readOnly.includes(file));
  check(
    unlisted.length === 0,
    `${manifest.id}: every file the grader imports is listed in files.readOnly`,
    `add to exercises/${manifest.id}/exercise.json: ${unlisted.join(', ')}`,
  );
}

function checkGrading(exercise: ExerciseOnDisk, reports: Map<string, GradeReport>) {
  const { id, tasks } = exercise.manifest;
  const outcomesOf = (implementation: string) => {
    const report = reports.get(`${id}:${implementation}`);
    if (!report) throw new Error(`no results for ${id}:${implementation}`);
    return { report, outcomes: taskOutcomes(report, tasks) };
  };

  const starter = outcomesOf('starter').outcomes;
  const passingStarter = starter.filter((task) => task.status === 'pass').map((task) => task.number);
  check(
    passingStarter.length === 0,
    `${id}: the shipped starter fails all ${tasks.length} tasks`,
    `passes task(s) ${passingStarter}`,
  );

  const solution = outcomesOf('solution');
  const failing = solution.outcomes.filter((task) => task.status === 'fail');
  check(
    failing.length === 0,
    `${id}: the solution passes all ${tasks.length} tasks`,
    failing.map((task) => `task ${task.number}: ${task.failure?.message}`).join('\n'),
  );
  const untasked = solution.report.tests.filter((test) => !tasks.some((task) => task.number === test.task));
  check(
    untasked.length === 0,
    `${id}: every test belongs to a task of the manifest`,
    untasked.map((t) => t.name).join(', '),
  );

  for (const { name } of keptImplementations(exercise).filter((kept) => isCheat(kept.name))) {
    const passing = outcomesOf(name)
      .outcomes.filter((task) => task.status !== 'fail')
      .map((task) => task.number);
    check(passing.length === 0, `${id}: ${name} passes no task`, `task(s) ${passing} passed`);
  }

  for (const wrong of loadWrongImplementations(exercise)) {
    const broken = outcomesOf(`wrong:${wrong.patch}`).outcomes.find((task) => task.number === wrong.breaks);
    const message = broken?.failure?.message ?? '';
    const rejected = broken?.status === 'fail';
    const named = message.toLowerCase().includes(wrong.mentions.toLowerCase());
    check(
      rejected && named,
      `${id}: wrong/${wrong.patch} is rejected by task ${wrong.breaks}, saying "${wrong.mentions}"`,
      rejected ? `the message was: ${message}` : `task ${wrong.breaks} passed`,
    );
  }
}

const sameResults = (a: GradeReport | undefined, b: GradeReport | undefined) =>
  a !== undefined && b !== undefined && JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));

/** Every starter is recorded; where someone has worked in exercises/, say that the shipped one is graded. */
function checkShippedStarters(course: ExerciseOnDisk[]) {
  for (const exercise of course) {
    for (const starter of starterStates(exercise)) {
      if ('problem' in starter)
        check(false, `${starter.path}: the shipped starter is known`, starter.problem);
      else if (starter.state === 'edited')
        console.log(
          `  note ${starter.path} holds edits: they are left alone, and the shipped starter is graded`,
        );
      else check(true, `${starter.path} is the shipped starter`);
    }
  }
  const stale = staleRecords();
  check(
    stale.length === 0,
    `${SHIPPED_STARTERS} records no file that is gone`,
    `${stale.join(', ')}: run npm run record-starters`,
  );
}

async function main() {
  console.log(ABOUT);
  section('Manifests');
  const course = loadCourse();
  check(course.length > 0, `${course.length} exercise manifests are valid`);
  course.forEach(checkManifestFiles);
  course.forEach(checkGraderFilesListed);

  section(`Shipped starters (${SHIPPED_STARTERS})`);
  checkShippedStarters(course);

  section('Code quality');
  run('type check (astro sync, tsc --noEmit)', 'npm', ['run', 'typecheck']);
  run('lint and format (biome check)', 'npx', ['biome', 'check', '.']);
  run('engine unit tests (vitest)', 'npx', ['vitest', 'run', '--config', 'tests/unit/vitest.config.ts']);

  section(`Graders (seed ${DEFAULT_SEED})`);
  const first = await gradeAll(DEFAULT_SEED);
  for (const exercise of course) checkGrading(exercise, first);

  section('Determinism: a second run with the same seed');
  const second = await gradeAll(DEFAULT_SEED);
  const differing = [...first.keys()].filter(
    (project) => !sameResults(first.get(project), second.get(project)),
  );
  check(
    differing.length === 0,
    `all ${first.size} gradings repeat exactly`,
    `differ: ${differing.join(', ')}`,
  );

  section('One grading core: the in-page Worker runner against vitest');
  for (const exercise of course) {
    const id = exercise.manifest.id;
    for (const { name } of keptImplementations(exercise)) {
      const inPage = await gradeInPageFromDisk(exercise, name, DEFAULT_SEED);
      if (isCheat(name)) {
        // Each runner words its refusal its own way; what must agree is that nothing passes.
        const passing = taskOutcomes(inPage, exercise.manifest.tasks).filter(
          (task) => task.status !== 'fail',
        );
        check(passing.length === 0, `${id}:${name} passes no task in the in-page runner either`);
        continue;
      }
      const vitest = first.get(`${id}:${name}`);
      check(
        sameResults(inPage, vitest),
        `${id}:${name} gives the same per-test results in both runners`,
        JSON.stringify({ inPage: comparable(inPage), vitest: vitest && comparable(vitest) }).slice(0, 3000),
      );
    }
  }

  console.log(
    failures.length === 0 ? '\nThe course holds together.' : `\n${failures.length} check(s) failed:\n`,
  );
  for (const failure of failures) console.log(`- ${failure}\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
