import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestWalk } from '../../site/presenter/request-walk.ts';
import { axeViolations } from './axe.ts';
import { openSite, type SiteUnderTest } from './site.browser.ts';
import { onFreshPage } from './site-page.ts';

/** Presenter mode in Chromium: driven by the keys a presenter and a clicker press, and axe-clean. */

let site: SiteUnderTest;
beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

const projector = { width: 1920, height: 1080 };
const laptop = { width: 1280, height: 800 };
const shots = join(tmpdir(), 'request-journey-presenter');

const status = async (page: Page) => (await page.locator('[data-deck-status]').textContent()) ?? '';
/** Waits until the deck says it is where the test expects (the key handler runs between frames). */
async function at(page: Page, text: string) {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-deck-status]')?.textContent === wanted,
    text,
    { timeout: 15_000 },
  );
}
const current = (page: Page) => page.locator('[data-slide]:not([hidden]) [aria-current="step"]');

describe('the main deck', () => {
  it('steps through a request hop by hop with arrows, Space and a clicker', async () => {
    await onFreshPage(site, { viewport: projector }, async (page) => {
      await page.goto(site.url('/present/'));
      const slides = await page.locator('[data-slide]').count();
      await at(page, `Slide 1 of ${slides}`);

      await page.keyboard.press('PageDown');
      await at(page, `Slide 2 of ${slides}`);
      await page.keyboard.press('PageDown');
      const hops = requestWalk.length;
      await at(page, `Slide 3 of ${slides}, step 0 of ${hops}`);
      expect(await current(page).count()).toBe(0);

      for (const [index, hop] of requestWalk.entries()) {
        await page.keyboard.press(index % 2 === 0 ? 'ArrowRight' : ' ');
        await at(page, `Slide 3 of ${slides}, step ${index + 1} of ${hops}`);
        await expect(current(page).locator('.walk-detail').textContent()).resolves.toContain(hop.numbers[0]);
      }
      expect(await page.locator('.walk-detail:visible').count()).toBe(1);

      await page.keyboard.press('PageUp');
      await at(page, `Slide 3 of ${slides}, step ${hops - 1} of ${hops}`);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await at(page, `Slide 4 of ${slides}`);
      await page.keyboard.press('ArrowLeft');
      await at(page, `Slide 3 of ${slides}, step ${hops} of ${hops}`);

      await page.keyboard.press('End');
      await at(page, `Slide ${slides} of ${slides}`);
      expect(await page.locator('[data-slide]:not([hidden]) figure svg').count()).toBe(1);
      await page.keyboard.press('Home');
      await at(page, `Slide 1 of ${slides}`);

      await page.keyboard.press('?');
      await page.locator('dialog[data-deck-help][open]').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await page.locator('dialog[data-deck-help]:not([open])').waitFor({ state: 'attached' });
      await page.keyboard.press('ArrowRight');
      await at(page, `Slide 2 of ${slides}`);
    });
  });

  it('shows every slide within the screen at 1920x1080 and 1280x800, axe-clean', async () => {
    mkdirSync(shots, { recursive: true });
    for (const viewport of [projector, laptop]) {
      await onFreshPage(site, { viewport }, async (page) => {
        await page.goto(site.url('/present/'));
        const slides = await page.locator('[data-slide]').count();
        for (let slide = 1; slide <= slides; slide++) {
          // PageDown walks through the steps of a slide before it moves on.
          for (let press = 0; press < 20 && !(await status(page)).startsWith(`Slide ${slide} of`); press++) {
            await page.keyboard.press('PageDown');
          }
          await page.waitForFunction(
            (wanted) => document.querySelector('[data-deck-status]')?.textContent?.startsWith(wanted),
            `Slide ${slide} of`,
          );
          // Half-way through the hop-by-hop walk, where the detail panel is open.
          if (slide === 3) for (let step = 0; step < 5; step++) await page.keyboard.press('PageDown');
          await page.waitForFunction(() => document.fonts.status === 'loaded');
          const overflow = await page.evaluate(
            () => document.documentElement.scrollHeight - window.innerHeight,
          );
          expect(overflow, `slide ${slide} at ${viewport.width}x${viewport.height}`).toBeLessThanOrEqual(0);
          await page.screenshot({ path: join(shots, `${viewport.width}-main-${slide}.png`) });
          if (viewport === projector) expect(await axeViolations(page), `slide ${slide}`).toEqual([]);
        }
      });
    }
  });
});

describe('a solution walkthrough', () => {
  it('reveals the reference solution step by step, each with a sentence, until the whole file shows', async () => {
    await onFreshPage(site, { viewport: laptop }, async (page) => {
      await page.goto(site.url('/present/cache-aside/'));
      const tasks = await page.locator('[data-slide]:first-of-type [data-step]').count();
      await at(page, `Slide 1 of 2, step 0 of ${tasks}`);
      for (let task = 1; task <= tasks; task++) await page.keyboard.press('PageDown');
      await at(page, `Slide 1 of 2, step ${tasks} of ${tasks}`);
      await page.keyboard.press('PageDown');
      const chunks = await page.locator('.chunk').count();
      await at(page, `Slide 2 of 2, step 0 of ${chunks}`);
      expect(await page.locator('.chunk:visible').count()).toBe(0);

      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await at(page, `Slide 2 of 2, step 2 of ${chunks}`);
      expect(await page.locator('.chunk:visible').count()).toBe(2);
      const note = page.locator('.chunk[data-state="current"] .chunk-note');
      expect(((await note.textContent()) ?? '').length).toBeGreaterThan(10);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, '1280-solution-step-2.png') });

      await page.keyboard.press('End');
      await at(page, `Slide 2 of 2, step ${chunks} of ${chunks}`);
      const shown = await page.locator('.chunk pre').allInnerTexts();
      const solution = readFileSync('solutions/cache-aside/product-cache.ts', 'utf8');
      const withoutBlankLines = (text: string) => text.replace(/\n\s*\n/g, '\n').trim();
      expect(withoutBlankLines(shown.join('\n'))).toBe(withoutBlankLines(solution));
    });
  });
});
