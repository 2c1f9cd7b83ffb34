import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCourse } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import type { GradeOutcome, GradeRequest } from '../../engine/runtime/runner.ts';
import { launchChromium } from '../e2e/chromium.ts';
import type { GradingFixture } from '../e2e/runtime-fixture/main.ts';
import { buildFixture, serve } from '../e2e/runtime-fixture/serve.ts';

/**
 * How long "Run tests" takes with the Worker runner in Chromium, from the call
 * to the outcome. Cold: a fresh page grades the starter at once (its Worker
 * still loading and rehearsing). Warm: the runs after it, each in a fresh
 * Worker that loaded and rehearsed (graded the solution once) while the
 * learner read the last result: the
 * starter again, then the solution (every test passing, so every test doing
 * all its work). Also shows
 * how much of it is the grader's own tests. Prints medians over several fresh
 * pages: `tsx tests/bench/worker-grade.ts [rounds] [exercise ...]`.
 */
const rounds = Number(process.argv[2] ?? 3);
// Exercises named after the rounds: only those (every exercise when none is named).
const only = process.argv.slice(3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const testTime = (outcome: GradeOutcome) =>
  outcome.kind === 'graded' ? outcome.report.tests.reduce((total, test) => total + test.durationMs, 0) : 0;
const ms = (values: number[]) => `${Math.round(median(values))} ms`.padStart(7);

async function filesIn(dir: string, names: readonly string[]): Promise<Record<string, string>> {
  return Object.fromEntries(
    await Promise.all(names.map(async (f) => [f, await readFile(join(dir, f), 'utf8')])),
  );
}

const outDir = await mkdtemp(join(tmpdir(), 'worker-bench-'));
await buildFixture(outDir);
const { url, server } = await serve(outDir);
const browser = await launchChromium();
try {
  console.log(`Worker runner grading time in Chromium, median of ${rounds} fresh pages:`);
  for (const exercise of loadCourse().filter(
    ({ manifest }) => only.length === 0 || only.includes(manifest.id),
  )) {
    const { manifest, solutionDir } = exercise;
    // The shipped starter: exercises/ may hold whoever runs the bench's own solution.
    const starter: GradeRequest = { manifest, files: shippedStarter(exercise) };
    const solution: GradeRequest = { manifest, files: await filesIn(solutionDir, manifest.files.editable) };
    const times = { cold: [] as number[], warmStarter: [] as number[], warmSolution: [] as number[] };
    const solutionTests: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('body[data-ready]');
      const grade = (request: GradeRequest) =>
        page.evaluate(
          (req) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.grade(req),
          request,
        );
      // As the site does once it knows the exercise: the first Worker warms up, rehearsing with the solution.
      await page.evaluate(
        (req) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.warmUp(req),
        { ...starter, rehearsal: solution.files },
      );
      times.cold.push((await grade(starter)).elapsedMs);
      // A learner reads the result and edits, while the next Worker warms up.
      await page.waitForTimeout(3_000);
      times.warmStarter.push((await grade(starter)).elapsedMs);
      await page.waitForTimeout(3_000);
      const passing = await grade(solution);
      times.warmSolution.push(passing.elapsedMs);
      solutionTests.push(testTime(passing.outcome));
      await page.close();
    }
    console.log(
      `  ${manifest.id.padEnd(16)} cold ${ms(times.cold)}   warm: starter ${ms(times.warmStarter)}, ` +
        `solution ${ms(times.warmSolution)} (its tests ${ms(solutionTests).trim()})`,
    );
  }
} finally {
  await browser.close();
  server.close();
  await rm(outDir, { recursive: true, force: true });
}
