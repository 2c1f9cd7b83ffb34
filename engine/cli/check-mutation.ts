import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';
import { courseRoot, type ExerciseOnDisk, loadCourse, readJson } from '../course/course.ts';
import { type EquivalentMutant, equivalentMutantsSchema, parseWith } from '../course/manifest.ts';

const usage = `Mutation testing of the reference solutions (StrykerJS + vitest).

  npm run check:mutation                  every exercise
  npm run check:mutation -- cache-aside   one exercise (or several)

Each exercise's grader runs against many small mutations of its reference solution. A mutant the
grader does not reject either shows a hole in the grader (add a test that kills it) or cannot be told
apart from the solution by any correct grader: then list it in tests/<id>/equivalent-mutants.json with
the reason. Fails when a mutant survives unlisted, or a listed one no longer survives.`;

type Mutant = Awaited<ReturnType<Stryker['runMutationTest']>>[number];

/** What each of Stryker's statuses means for the grader. */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function sourceText(lines: string[], { start, end }: Mutant['location']): string {
  // Stryker's locations count lines and columns from 1.
  const line = (n: number) => lines[n - 1] ?? '';
  if (start.line === end.line) return line(start.line).slice(start.column - 1, end.column - 1);
  return [
    line(start.line).slice(start.column - 1),
    ...lines.slice(start.line, end.line - 1),
    line(end.line).slice(0, end.column - 1),
  ].join('\n');
}

function loadEquivalents(exercise: ExerciseOnDisk): EquivalentMutant[] {
  const file = join(courseRoot, 'tests', exercise.manifest.id, 'equivalent-mutants.json');
  try {
    readFileSync(file);
  } catch {
    return [];
  }
  return parseWith(equivalentMutantsSchema, readJson(file), file, 'list of equivalent mutants');
}

const listed = (equivalent: EquivalentMutant, mutant: Mutant, original: string) =>
  equivalent.mutator === mutant.mutatorName &&
  equivalent.original === original &&
  equivalent.replacement === (mutant.replacement ?? '') &&
  (equivalent.line === undefined || equivalent.line === mutant.location.start.line);

async function checkExercise(exercise: ExerciseOnDisk): Promise<boolean> {
  const { id, files } = exercise.manifest;
  const mutated = files.editable.map((file) => relative(courseRoot, join(exercise.solutionDir, file)));
  const started = performance.now();
  process.env.MUTATION_EXERCISE = id;
  const options: ConstructorParameters<typeof Stryker>[0] = {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'engine/grading/mutation.vitest.ts' },
    mutate: mutated,
    coverageAnalysis: 'perTest',
    concurrency: 2,
    // Progress while it runs (a bar in a terminal, dots in a log); the verdict is this command's own summary.
    reporters: [process.stdout.isTTY ? 'progress' : 'dots'],
    // Its own sandbox, so that two exercises can be checked at once.
    tempDirName: `.stryker-tmp/${id}`,
    ignorePatterns: ['dist', '.astro', 'site', 'docs', 'reports'],
    cleanTempDir: 'always',
    // The option takes the string; Stryker types it as a const enum that cannot be imported here.
    logLevel: 'warn' as never,
  };
  const results = await new Stryker(options).runMutationTest();
  const seconds = (performance.now() - started) / 1000;

  const equivalents = loadEquivalents(exercise);
  const used = new Set<EquivalentMutant>();
  const unexplained: string[] = [];
  const sources = new Map(
    mutated.map((file) => [file, readFileSync(join(courseRoot, file), 'utf8').split('\n')]),
  );
  let detected = 0;
  let undetected = 0;
  for (const mutant of results) {
    const file = mutant.fileName;
    const lines = sources.get(relative(courseRoot, file)) ?? sources.get(file) ?? [];
    const original = sourceText(lines, mutant.location);
    const equivalent = equivalents.find((candidate) => listed(candidate, mutant, original));
    // On a busy machine a listed equivalent can run past Stryker's time limit: that proves nothing.
    if (equivalent && mutant.status === 'Timeout') {
      used.add(equivalent);
      undetected++;
      continue;
    }
    if (DETECTED.has(mutant.status)) detected++;
    if (!UNDETECTED.has(mutant.status)) continue;
    undetected++;
    if (equivalent) {
      used.add(equivalent);
      continue;
    }
    const at = `${relative(courseRoot, file)}:${mutant.location.start.line}:${mutant.location.start.column}`;
    unexplained.push(
      `  ${at} ${mutant.mutatorName} (${mutant.status})\n      ${JSON.stringify(original)} -> ${JSON.stringify(mutant.replacement ?? '')}`,
    );
  }
  const stale = equivalents.filter((equivalent) => !used.has(equivalent));
  const valid = detected + undetected;
  const score = valid === 0 ? 0 : (100 * detected) / valid;
  const nonEquivalent = valid - used.size;
  const nonEquivalentScore = nonEquivalent === 0 ? 100 : (100 * detected) / nonEquivalent;
  console.log(
    `${id}: ${valid} mutants, ${detected} killed, ${used.size} equivalent (listed), ${unexplained.length} surviving` +
      ` | score ${score.toFixed(1)}%, non-equivalent killed ${nonEquivalentScore.toFixed(1)}% | ${seconds.toFixed(0)} s`,
  );
  if (unexplained.length > 0) {
    console.log(
      `  Surviving mutants: kill each with a grader test, or list it in tests/${id}/equivalent-mutants.json`,
    );
    console.log(unexplained.join('\n'));
  }
  for (const equivalent of stale) {
    console.log(
      `  Listed as equivalent but no longer surviving (remove it): ${equivalent.mutator} ${JSON.stringify(equivalent.original)} -> ${JSON.stringify(equivalent.replacement)}`,
    );
  }
  return unexplained.length === 0 && stale.length === 0;
}

const { values, positionals } = parseArgs({
  options: { help: { type: 'boolean', short: 'h', default: false } },
  allowPositionals: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const course = loadCourse();
const unknown = positionals.filter((name) => !course.some((exercise) => exercise.manifest.id === name));
if (unknown.length > 0) {
  console.error(
    `No such exercise: ${unknown.join(', ')}. Exercises: ${course.map((e) => e.manifest.id).join(', ')}`,
  );
  process.exit(2);
}
const chosen = positionals.length === 0 ? course : course.filter((e) => positionals.includes(e.manifest.id));
let ok = true;
for (const exercise of chosen) ok = (await checkExercise(exercise)) && ok;
process.exitCode = ok ? 0 : 1;
