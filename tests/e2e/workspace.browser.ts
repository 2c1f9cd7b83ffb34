import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadExercise } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import type { WorkspaceTestHandle } from '../../site/workspace/test-hook.ts';

/**
 * Driving the lesson workspace in a page, shared by the end-to-end tests and
 * the site benchmark. Code is replaced through the workspace's documented test
 * handle (site/workspace/test-hook.ts), the rest through the page as a learner
 * uses it.
 */

/** Stored progress that makes the workspace grade with the Worker at once (no WebContainer boot to wait for). */
export const workerPreference = { 'request-journey:v1:preferences': JSON.stringify({ runner: 'worker' }) };

/**
 * One editable file of an exercise as the site ships it, and its solution. The starter comes from the
 * shipped record, not exercises/, where whoever runs the tests may have solved the exercise.
 */
export function starterAndSolution(exerciseId: string, file: string): { starter: string; solution: string } {
  const exercise = loadExercise(exerciseId);
  const starter = shippedStarter(exercise)[file];
  if (starter === undefined) throw new Error(`${file} is not an editable file of ${exerciseId}`);
  return { starter, solution: readFileSync(join(exercise.solutionDir, file), 'utf8') };
}

export async function openEditor(page: Page, path = '/lessons/caching/'): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith(path)) throw new Error(`open ${path} first`);
  await page.getByRole('button', { name: 'Open the editor' }).click();
  await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
}

export function setCode(page: Page, file: string, text: string): Promise<void> {
  return page.evaluate(
    ([name, source]) => {
      if (!window.requestJourneyWorkspace) throw new Error('the workspace is not open');
      window.requestJourneyWorkspace.setCode(name, source);
    },
    [file, text] as const,
  );
}

export function code(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    if (!window.requestJourneyWorkspace) throw new Error('the workspace is not open');
    return window.requestJourneyWorkspace.code();
  });
}

export function errorMarkers(page: Page): Promise<ReturnType<WorkspaceTestHandle['errorMarkers']>> {
  return page.evaluate(() => window.requestJourneyWorkspace?.errorMarkers() ?? []);
}

/** Clicks "Run tests" and waits until the run's outcome is shown; returns the summary text. */
export async function runTests(page: Page, timeout = 30_000): Promise<string> {
  const summary = page.locator('.ws-summary');
  await page.getByRole('button', { name: 'Run tests' }).click();
  await page.waitForFunction(
    () => {
      const text = document.querySelector('.ws-summary')?.textContent ?? '';
      return text !== '' && !text.startsWith('Running');
    },
    undefined,
    { timeout },
  );
  return (await summary.textContent()) ?? '';
}

/** Each task's state as shown: pass, fail, not-run. */
export function taskStates(page: Page): Promise<string[]> {
  return page.$$eval('.ws-task', (items) => items.map((item) => (item as HTMLElement).dataset.state ?? ''));
}

/**
 * Waits until the course outline marks a lesson completed (or, with `false`, no longer completed). The
 * outline steps aside while the workspace is open beside the lesson, so the mark is looked for in the
 * page, visible or not.
 */
export function lessonTick(page: Page, slug: string, completed = true): Promise<unknown> {
  return page.waitForFunction(
    ([lesson, wanted]) =>
      document.querySelectorAll(`[data-progress-lesson="${lesson}"][data-completed]`).length > 0 === wanted,
    [slug, completed] as const,
  );
}
