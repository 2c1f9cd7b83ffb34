import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import { workerPreference } from './workspace.browser.ts';

/**
 * "Open the editor" is in the page's HTML before the module that answers it
 * has run. On a slow laptop or a busy room network a learner clicks in that
 * gap; the click must still open the editor (it used to do nothing, and the
 * learner had to guess to click again).
 */

let site: SiteUnderTest;

beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

describe('a click on "Open the editor" before the page\'s scripts have run', () => {
  it('opens the editor once they arrive', async () => {
    const context = await newContext(site.browser, { storage: workerPreference });
    try {
      const page = await context.newPage();
      // Every script module of the site is held back until the learner has clicked.
      let release: () => void = () => {};
      const clicked = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route('**/_astro/**/*.js', async (route) => {
        await clicked;
        await route.continue();
      });
      await page.goto(site.url('/lessons/caching/'), { waitUntil: 'commit' });
      const button = page.getByRole('button', { name: 'Open the editor' });
      await button.click();
      expect(
        await page.evaluate(
          () =>
            'workspaceBooted' in
            (document.querySelector<HTMLElement>('[data-workspace-root]')?.dataset ?? {}),
        ),
        'the workspace module ran before the click: this test no longer clicks early',
      ).toBe(false);
      release();
      await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
    } finally {
      await context.close();
    }
  });
});
