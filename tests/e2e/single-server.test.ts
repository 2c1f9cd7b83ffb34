import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressStorageKey } from '../../site/lib/progress.ts';
import { newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import {
  code,
  openEditor,
  runTests,
  setCode,
  starterAndSolution,
  taskStates,
  workerPreference,
} from './workspace.browser.ts';

/**
 * The Phase 1 exercise solved in real Chromium through the lesson's editor, graded by the Worker runner:
 * its grader (fetch Request/Response, pg-mem behind a counting pool, fast-check) runs in the browser.
 */

const lesson = '/lessons/single-server/';
const file = 'product-api.ts';
let site: SiteUnderTest;

beforeAll(async () => {
  site = await openSite();
});

afterAll(async () => {
  await site?.close();
});

describe('a learner on the single-server lesson', () => {
  it('sees every task fail on the starter, then passes every task with the solution', async () => {
    const { starter, solution } = starterAndSolution('single-server', file);
    const context = await newContext(site.browser, { storage: workerPreference });
    try {
      const page = await context.newPage();
      await page.goto(site.url(lesson));
      await openEditor(page, lesson);
      expect(await code(page)).toEqual({ [file]: starter });

      expect(await runTests(page)).toContain('0 of 5 tasks pass');
      expect(await taskStates(page)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail']);
      expect((await page.locator('.ws-results').textContent()) ?? '').toContain("MySQL's placeholder");

      await setCode(page, file, solution);
      expect(await runTests(page)).toContain('All 5 tasks pass');
      expect(await taskStates(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
      const stored = await page.evaluate((key) => localStorage.getItem(key), progressStorageKey);
      expect(JSON.parse(stored ?? '{}').lessons['single-server']).toEqual({ completed: true });
      await page
        .locator('[data-progress-lesson="single-server"][data-completed]')
        .first()
        .waitFor({ state: 'attached' });
    } finally {
      await context.close();
    }
  });
});
