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

describe('a new release', () => {
  it('is offered in every open tab and reloads only the tab whose learner accepts it', async () => {
    const browser = await launchChromium();
    try {
      const context = await newContext(browser, { serviceWorkers: 'allow', storage: workerPreference });
      const editing = await controlledPage(context, '/lessons/caching/');
      await openEditor(editing);
      await setCode(editing, 'product-cache.ts', '// work in progress\n');
      const reading = await controlledPage(context, '/lessons/dns/');

      server.setRelease('release 2');
      await editing.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
      const prompt = (page: Page) =>
        page.getByRole('status').filter({ hasText: 'A new version of the course is ready' });
      await prompt(editing).waitFor({ timeout: 60_000 });
      await prompt(reading).waitFor({ timeout: 60_000 });
      expect(await stillLoadedOnce(editing)).toBe(true);

      // The reader accepts: their tab reloads under the new release; the editing tab does not.
      await Promise.all([
        reading.waitForEvent('load'),
        reading.getByRole('button', { name: 'Reload' }).click(),
      ]);
      expect(await stillLoadedOnce(reading)).toBe(false);
      expect(await prompt(reading).isHidden()).toBe(true);

      // The new worker took over the editing tab too, which keeps its edit and its prompt.
      await editing.waitForFunction(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return registration?.waiting === null && registration.active?.state === 'activated';
      });
      expect(await stillLoadedOnce(editing)).toBe(true);
      expect(await prompt(editing).isVisible()).toBe(true);

      // Its learner reloads when ready; the code they typed is there again.
      await Promise.all([
        editing.waitForEvent('load'),
        editing.getByRole('button', { name: 'Reload' }).click(),
      ]);
      expect(await stillLoadedOnce(editing)).toBe(false);
      await openEditor(editing);
      expect(await editing.evaluate(() => window.requestJourneyWorkspace?.code()['product-cache.ts'])).toBe(
        '// work in progress\n',
      );
    } finally {
      await browser.close();
    }
  });
});
