import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.ts';
import { type DistServer, serveDist } from './dist-server.ts';
import { newContext } from './site.browser.ts';
import { openEditor, setCode, workerPreference } from './workspace.browser.ts';

/**
 * A new release of the course while a learner has it open
 * (site/offline/register.ts): its service worker waits, every open tab says
 * "A new version of the course is ready", and a tab reloads only when its
 * learner presses Reload. The built site in dist/ is served by a small server
 * (dist-server.ts) that can publish a "new release": the same files with a
 * service worker whose bytes differ, which is what a browser checks for.
 */

let server: DistServer;
let origin: string;

beforeAll(async () => {
  server = await serveDist();
  origin = server.origin;
});
afterAll(async () => {
  await server?.close();
});

async function controlledPage(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}${path}`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve));
    }
    // Gone if the page reloads.
    (window as { loadedOnce?: boolean }).loadedOnce = true;
  });
  return page;
}

const stillLoadedOnce = (page: Page) =>
  page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce === true);

/** Counts a tab's page loads from now on (a reload the test did not ask for shows up here). */
function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => {
    loads += 1;
  });
  return () => loads;
}

const prompt = (page: Page) =>
  page.getByRole('status').filter({ hasText: 'A new version of the course is ready' });

async function acceptRelease(page: Page): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload' }).click()]);
}

describe('a new release', () => {
  it('is offered in every open tab and reloads only the tab whose learner accepts it', async () => {
    const browser = await launchChromium();
    try {
      const context = await newContext(browser, { serviceWorkers: 'allow', storage: workerPreference });
      // The first visit installs the course; the tabs opened after it start under that worker.
      const firstVisit = await controlledPage(context, '/');
      const editing = await controlledPage(context, '/lessons/caching/');
      await openEditor(editing);
      await setCode(editing, 'product-cache.ts', '// work in progress\n');
      const reading = await controlledPage(context, '/lessons/dns/');
      const loads = { firstVisit: countLoads(firstVisit), editing: countLoads(editing) };

      server.setRelease('release 2');
      await editing.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
      for (const page of [firstVisit, editing, reading]) await prompt(page).waitFor({ timeout: 60_000 });

      // The reader accepts: their tab reloads under the new release.
      await acceptRelease(reading);
      expect(await stillLoadedOnce(reading)).toBe(false);
      expect(await prompt(reading).isHidden()).toBe(true);

      // The new worker took over the other tabs too; they keep their page, their edit and their prompt.
      for (const page of [firstVisit, editing]) {
        await page.waitForFunction(async () => {
          const registration = await navigator.serviceWorker.getRegistration();
          return registration?.waiting === null && registration.active?.state === 'activated';
        });
        expect(await stillLoadedOnce(page)).toBe(true);
        expect(await prompt(page).isVisible()).toBe(true);
      }

      // Each learner reloads when ready; the code typed is there again.
      await acceptRelease(editing);
      await openEditor(editing);
      expect(await editing.evaluate(() => window.requestJourneyWorkspace?.code()['product-cache.ts'])).toBe(
        '// work in progress\n',
      );
      await acceptRelease(firstVisit);
      // One load each: the one its learner asked for.
      expect([loads.firstVisit(), loads.editing()]).toEqual([1, 1]);
    } finally {
      await browser.close();
    }
  });
});
