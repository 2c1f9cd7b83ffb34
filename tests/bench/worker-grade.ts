import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCourse } from '../../engine/course/course.ts';
import type { GradeOutcome, GradeRequest } from '../../engine/runtime/runner.ts';
import { launchChromium } from '../e2e/chromium.ts';
import type { GradingFixture } from '../e2e/runtime-fixture/main.ts';
import { buildFixture, serve } from '../e2e/runtime-fixture/serve.ts';

/**
 * How long "Run tests" takes with the Worker runner in Chromium, from the call
 * to the outcome: cold (a fresh page: Worker start, packages and grader
 * loaded) and warm (the next run, its Worker warmed while the learner edits).
 * Also shows how much of it is the grader's own tests. Prints medians over
 * several fresh pages: `tsx tests/bench/worker-grade.ts [rounds]`.
 */
const rounds = Number(process.argv[2] ?? 3);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const testTime = (outcome: GradeOutcome) =>
  outcome.kind === 'graded' ? outcome.report.tests.reduce((total, test) => total + test.durationMs, 0) : 0;

const outDir = await mkdtemp(join(tmpdir(), 'worker-bench-'));
await buildFixture(outDir);
const { url, server } = await serve(outDir);
const browser = await launchChromium();
try {
  console.log(`Worker runner grading time in Chromium, starter code, median of ${rounds} fresh pages:`);
  for (const { manifest, exerciseDir } of loadCourse()) {
    const files = Object.fromEntries(
      await Promise.all(
        manifest.files.editable.map(async (f) => [f, await readFile(join(exerciseDir, f), 'utf8')]),
      ),
    );
    const request: GradeRequest = { manifest, files };
    const cold: number[] = [];
    const warm: number[] = [];
    const tests: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('body[data-ready]');
      const grade = () =>
        page.evaluate(
          (req) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.grade(req),
          request,
        );
      cold.push((await grade()).elapsedMs);
      await page.waitForTimeout(3_000); // a learner reads the result and edits: the next Worker warms up
      const next = await grade();
      warm.push(next.elapsedMs);
      tests.push(testTime(next.outcome));
      await page.close();
    }
    console.log(
      `  ${manifest.id.padEnd(16)} cold ${Math.round(median(cold))} ms, warm ${Math.round(median(warm))} ms ` +
        `(the grader's tests themselves: ${Math.round(median(tests))} ms)`,
    );
  }
} finally {
  await browser.close();
  server.close();
  await rm(outDir, { recursive: true, force: true });
}
