import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContextOptions, newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import { openEditor, runTests, workerPreference } from './workspace.browser.ts';

/**
 * The editor and a warm grading Worker are prepared before "Open the editor"
 * is clicked, as soon as the learner shows they are about to click
 * (site/workspace/boot.ts), and never on a browser that saves data unless the
 * button is pressed. Timings are the benchmark's business (tests/bench/site.ts).
 */

const lesson = '/lessons/caching/';
const editorCode = /code-editor|editor\.worker|ts\.worker/;
let site: SiteUnderTest;

beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

interface LessonPage {
  page: Page;
  /** Every URL the page (and its frames) requested so far. */
  requests: string[];
  /** Editor code the page requested so far. */
  editorRequests: string[];
  /** Whether the page began preparing the editor (it marks that the moment it sees intent). */
  preparing(): Promise<boolean>;
}

async function withLesson(
  options: ContextOptions,
  use: (lesson: LessonPage) => Promise<void>,
  saveData = false,
): Promise<void> {
  const context = await newContext(site.browser, { storage: workerPreference, ...options });
  if (saveData) {
    // What Chrome's Lite mode or Android's Data Saver tell a page.
    await context.addInitScript(() =>
      Object.defineProperty(navigator, 'connection', { value: { saveData: true }, configurable: true }),
    );
  }
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    const editorRequests: string[] = [];
    page.on('request', (request) => {
      requests.push(request.url());
      if (editorCode.test(request.url())) editorRequests.push(request.url());
    });
    await page.goto(site.url(lesson), { waitUntil: 'networkidle' });
    const preparing = () => page.evaluate(() => performance.getEntriesByName('workspace:prepare').length > 0);
    await use({ page, requests, editorRequests, preparing });
  } finally {
    await context.close();
  }
}

const waitForPrepared = (page: Page) =>
  page.waitForFunction(() => performance.getEntriesByName('workspace:prepared').length > 0, undefined, {
    timeout: 60_000,
  });

/** A point `distance` px to the left of the button's middle, in the viewport. */
async function besideButton(page: Page, distance: number): Promise<{ x: number; y: number }> {
  const button = page.getByRole('button', { name: 'Open the editor' });
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  if (!box) throw new Error('the button is not shown');
  return { x: Math.max(0, box.x - distance), y: box.y + box.height / 2 };
}

describe('preparing the editor ahead of the click', () => {
  it('downloads nothing of the editor while the learner only reads', async () => {
    await withLesson({}, async ({ page, requests, editorRequests, preparing }) => {
      // The pointer moves over the lesson, in the viewport's corner farthest from the button.
      const box = await page.getByRole('button', { name: 'Open the editor' }).boundingBox();
      const viewport = page.viewportSize() ?? { width: 0, height: 0 };
      const y = box && box.y < viewport.height / 2 ? viewport.height - 1 : 1;
      const x = box && box.x < viewport.width / 2 ? viewport.width - 1 : 1;
      await page.mouse.move(x, y, { steps: 5 });
      expect(await preparing()).toBe(false);
      expect(editorRequests).toEqual([]);
      expect(requests.filter((url) => url.includes('grader-worker'))).toEqual([]);
    });
  });

  it('prepares the editor and a grading Worker when the pointer nears the button, then opens and grades', async () => {
    await withLesson({}, async ({ page, requests, editorRequests }) => {
      const near = await besideButton(page, 60);
      await page.mouse.move(near.x, near.y);
      await waitForPrepared(page);
      expect(editorRequests.some((url) => url.includes('code-editor'))).toBe(true);
      // The grading Worker started ahead, before anything was clicked (in the page or in its grading frame).
      expect(requests.some((url) => url.includes('grader-worker'))).toBe(true);

      await openEditor(page);
      expect(await runTests(page)).toContain('0 of 5 tasks pass');
    });
  });

  it('prepares when the workspace is scrolled into view', async () => {
    await withLesson({}, async ({ page }) => {
      await page.locator('[data-workspace-root]').scrollIntoViewIfNeeded();
      await waitForPrepared(page);
    });
  });

  it('prepares when the button gets keyboard focus', async () => {
    await withLesson({}, async ({ page }) => {
      await page.getByRole('button', { name: 'Open the editor' }).focus();
      await waitForPrepared(page);
    });
  });

  it('with save-data on, waits for the button to be pressed', async () => {
    const saveData: ContextOptions = { serviceWorkers: 'allow' };
    await withLesson(
      saveData,
      async ({ page, editorRequests, preparing }) => {
        const button = page.getByRole('button', { name: 'Open the editor' });
        await button.scrollIntoViewIfNeeded();
        await button.focus();
        await button.hover();
        expect(await preparing()).toBe(false);
        expect(editorRequests).toEqual([]);
        // Nor does the course download its offline copy.
        expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations())).toEqual([]);

        await openEditor(page);
        expect(editorRequests.some((url) => url.includes('code-editor'))).toBe(true);
      },
      true,
    );
  });
});
