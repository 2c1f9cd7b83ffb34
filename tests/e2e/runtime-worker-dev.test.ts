import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ExerciseOnDisk, loadCourse } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import { comparable, DEFAULT_SEED } from '../../engine/grading/results.ts';
import type { GradeRequest } from '../../engine/runtime/runner.ts';
import { launchChromium } from './chromium.ts';
import type { GradingFixture } from './runtime-fixture/main.ts';
import { nodeReport, reportOf } from './runtime-fixture/reports.ts';
import { serveDev } from './runtime-fixture/serve.ts';

/**
 * The Worker runner under Vite's dev server, the way `npm run dev` serves the
 * site: nothing is bundled, so ioredis-mock and the other grading packages reach
 * the Worker through the dependency optimizer (graderWorkerOptimizeDeps). For
 * every exercise the starter and the solution get the Node runner's results.
 */

async function solutionFiles(exercise: ExerciseOnDisk): Promise<Record<string, string>> {
  const names = exercise.manifest.files.editable;
  return Object.fromEntries(
    await Promise.all(names.map(async (f) => [f, await readFile(join(exercise.solutionDir, f), 'utf8')])),
  );
}

describe('the Worker runner under the dev server', () => {
  it('grades every exercise as the Node runner does', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'vite-dev-cache-'));
    const dev = await serveDev(cacheDir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(dev.url);
      await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
      for (const exercise of loadCourse()) {
        for (const [implementation, files] of [
          ['starter', shippedStarter(exercise)],
          ['solution', await solutionFiles(exercise)],
        ] as const) {
          const request: GradeRequest = { manifest: exercise.manifest, files, seed: DEFAULT_SEED };
          const { outcome } = await page.evaluate(
            (req) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.grade(req),
            request,
          );
          const expected = await nodeReport(exercise.manifest.id, implementation);
          expect(comparable(reportOf(outcome)), `${exercise.manifest.id} ${implementation}`).toEqual(
            comparable(expected),
          );
        }
      }
    } finally {
      await browser.close();
      await dev.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
