import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, openSite, type SiteUnderTest } from './site.browser.ts';

/**
 * Choosing the runner on the built site in Chromium, where StackBlitz cannot
 * be reached (as offline, or behind a firewall): the WebContainer's boot frame
 * loads an error page at once, so the Worker takes over as soon as the frame
 * shows it will not start, not after the whole 5 s budget; the next lesson
 * page of the visit does not try again; a run asked for while the choice is
 * made reports its grading time apart from the wait.
 */

let site: SiteUnderTest;

beforeAll(async () => {
  site = await openSite();
});

afterAll(async () => {
  await site?.close();
});

describe('choosing the runner when the WebContainer cannot start', () => {
  it('switches to the Worker once the boot frame fails, remembers it for the next page, and reports the wait apart', async () => {
    const context = await newContext(site.browser);
    try {
      await context.route(/stackblitz|staticblitz|webcontainer-api/, (route) => route.abort());
      const page = await context.newPage();
      await page.goto(site.url('/lessons/caching/'));
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.getByRole('button', { name: 'Open the editor' }).click();
      await page.locator('.ws-runner-active:has-text("Starting the WebContainer")').waitFor();
      // Asked at once: the run waits for the choice, then grades.
      await page.getByRole('button', { name: 'Run tests' }).click();
      await page.locator('.ws-runner-active:has-text("Web Worker")').waitFor({ timeout: 10_000 });
      const choosing = await page.evaluate(
        () => performance.getEntriesByName('workspace:runner-choice', 'measure')[0]?.duration ?? Number.NaN,
      );
      console.log(
        `runner chosen ${Math.round(choosing)} ms after the workspace opened (WebContainer unreachable)`,
      );
      // The boot frame's verdict decides (its load, then a 1.5 s grace for its init), not the 5 s budget timer.
      expect(choosing).toBeLessThan(5_000);
      expect(await page.locator('iframe[src^="https://stackblitz.com/headless"]').count()).toBe(1);
      expect(await page.locator('.ws-runner-notice summary').textContent()).toContain(
        'the WebContainer could not start',
      );
      const meta = page.locator('.ws-run-meta', { hasText: 'Graded in' });
      await meta.waitFor({ timeout: 60_000 });
      expect(await meta.textContent()).toMatch(
        /^Graded in \d+\.\d\d s \(waited \d+\.\d s for the runner\) by the Web Worker \(this page\)\./,
      );

      // The next lesson page of this visit (same tab, same session) does not try the WebContainer again.
      await page.goto(site.url('/lessons/load-balancing/'));
      await page.getByRole('button', { name: 'Open the editor' }).click();
      await page.locator('.ws-runner-active:has-text("Web Worker")').waitFor({ timeout: 10_000 });
      expect(await page.locator('.ws-runner-notice summary').textContent()).toContain(
        'earlier in this visit',
      );
      expect(await page.locator('iframe[src*="stackblitz.com"]').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
