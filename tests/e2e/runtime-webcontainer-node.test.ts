import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { courseRoot, type ExerciseOnDisk, loadCourse } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import { comparable, DEFAULT_SEED } from '../../engine/grading/results.ts';
import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import { ContainerSlot } from '../../engine/runtime/webcontainer/container.ts';
import { createWebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';
import { axeViolations } from './axe.ts';
import { launchChromium } from './chromium.ts';
import { nodeContainer } from './runtime-fixture/node-container.ts';
import { nodeReport, reportOf } from './runtime-fixture/reports.ts';
import { buildFixture, serve } from './runtime-fixture/serve.ts';
import type { TerminalFixture } from './runtime-fixture/terminal.ts';

/**
 * The WebContainer runner's whole path except the WebContainer itself (this
 * machine cannot reach StackBlitz): the mounted project, the vitest command and
 * config, and the results file, run with real vitest in a folder. For the same
 * code it must give the same per-test results as the in-page runner.
 */

const dirs: string[] = [];
/** What each exercise's runs printed, for the terminal panel below. */
const printed = new Map<string, string[]>();
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function filesOf(exercise: ExerciseOnDisk, dir: string): Promise<Record<string, string>> {
  const names = exercise.manifest.files.editable;
  return Object.fromEntries(
    await Promise.all(names.map(async (f) => [f, await readFile(join(dir, f), 'utf8')])),
  );
}

describe.each(loadCourse().map((exercise) => [exercise.manifest.id, exercise] as const))(
  'the WebContainer runner on a Node stand-in: %s',
  (id, exercise) => {
    it('grades the starter and the solution exactly as the in-page runner does', async () => {
      const dir = await mkdtemp(join(tmpdir(), `webcontainer-${id}-`));
      dirs.push(dir);
      const container = nodeContainer(dir, join(courseRoot, 'node_modules'));
      const runner = createWebContainerRunner({
        courseFiles: bundledCourseFiles,
        slot: new ContainerSlot(async () => container),
        installCache: { get: async () => new Uint8Array(), put: async () => {} },
      });
      const output: string[] = [];
      runner.onOutput?.((chunk) => output.push(chunk));
      const { manifest } = exercise;
      const [starter, solution, expectedStarter, expectedSolution] = await Promise.all([
        runner.grade({ manifest, files: shippedStarter(exercise), seed: DEFAULT_SEED }),
        runner.grade({ manifest, files: await filesOf(exercise, exercise.solutionDir), seed: DEFAULT_SEED }),
        nodeReport(id, 'starter'),
        nodeReport(id, 'solution'),
      ]);
      expect(reportOf(starter).runtime).toBe('webcontainer');
      expect(comparable(reportOf(starter))).toEqual(comparable(expectedStarter));
      expect(comparable(reportOf(solution))).toEqual(comparable(expectedSolution));
      expect(output.join('')).toContain('complete');
      printed.set(id, output);
      runner.dispose();
    });
  },
);

describe('the terminal panel in Chromium', () => {
  it("shows a run's output as vitest printed it, in colour, with no escape codes left, and passes axe", async () => {
    const [id, output] = [...printed].find(([, chunks]) => chunks.length > 0) ?? [];
    if (!output) throw new Error('no run printed anything for the terminal to show');
    const esc = String.fromCharCode(27);
    expect(output.join(''), 'vitest printed colours').toContain(`${esc}[`);
    const outDir = await mkdtemp(join(tmpdir(), 'terminal-fixture-'));
    dirs.push(outDir);
    await buildFixture(outDir);
    const { terminalUrl, server } = await serve(outDir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      await page.goto(terminalUrl);
      await page.waitForSelector('body[data-ready]');
      expect(await page.locator('.xterm').count(), 'xterm loads only when the panel opens').toBe(0);
      for (const chunk of output) {
        await page.evaluate(
          (text) => (window as unknown as { terminalFixture: TerminalFixture }).terminalFixture.write(text),
          chunk,
        );
      }
      await page.evaluate(() =>
        (window as unknown as { terminalFixture: TerminalFixture }).terminalFixture.open(),
      );
      await page.locator('.xterm-rows').waitFor();
      // Scrolled to the end, the screen shows the last run: the solution's progress table.
      await expect.poll(() => page.locator('.xterm-rows').textContent()).toMatch(/(\d+)\/\1\s+complete/);
      const screen = (await page.locator('.xterm-rows').textContent()) ?? '';
      expect(screen).not.toContain(esc);
      expect(screen).not.toMatch(/\[\d+m/);
      const coloured = await page.locator('.xterm-rows span[class*="xterm-fg-"]').count();
      expect(coloured, `${id}: coloured spans on screen`).toBeGreaterThan(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(tmpdir(), 'request-journey-terminal.png') });
    } finally {
      await browser.close();
      server.close();
    }
  });
});
