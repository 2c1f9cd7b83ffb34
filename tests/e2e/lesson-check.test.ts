import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressStorageKey } from '../../site/lib/progress.ts';
import { axeViolations } from './axe.ts';
import { type ContextOptions, openSite, type SiteUnderTest } from './site.browser.ts';
import { onFreshPage } from './site-page.ts';

/**
 * Lessons with no exercise end with a check: a few questions that complete the lesson. Answered
 * in real Chromium with the keyboard alone, then followed to the course outline's tick and count
 * and the home page's "Continue where you left off".
 */

let site: SiteUnderTest;

beforeAll(async () => {
  site = await openSite();
});

afterAll(async () => {
  await site?.close();
});

const withPage = <T>(options: ContextOptions, use: (page: Page) => Promise<T>) =>
  onFreshPage(site, options, use);

const question = (page: Page, number: number) => page.locator(`form[data-question="${number}"]`);

/** Picks choice `choice` (from 1) of a question and checks it, with the keyboard only. */
async function answer(page: Page, number: number, choice: number): Promise<void> {
  await question(page, number).locator('input[type="radio"]').first().focus();
  await page.keyboard.press('Space');
  for (let step = 1; step < choice; step++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Check answer');
  await page.keyboard.press('Enter');
}

async function rightChoice(page: Page, number: number): Promise<number> {
  return Number(await question(page, number).getAttribute('data-answer'));
}

const progressText = (page: Page) => page.locator('.sidebar [data-course-progress-text]');

describe('a lesson check', () => {
  it('is answered with the keyboard, explains each answer, ticks the lesson and counts it', async () => {
    await withPage({}, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(site.url('/lessons/dns/'));
      const total = await page.locator('.sidebar [data-progress-lesson]').count();
      await expect.poll(() => progressText(page).textContent()).toBe(`0 of ${total} lessons complete`);
      const questions = await page.locator('form[data-question]').count();
      expect(questions).toBeGreaterThanOrEqual(3);
      expect(await page.locator('[data-explanation]').first().isVisible()).toBe(false);

      const right = await rightChoice(page, 1);
      await answer(page, 1, right === 1 ? 2 : 1);
      expect(await question(page, 1).getAttribute('data-state')).toBe('wrong');
      expect(await question(page, 1).locator('[data-verdict]').textContent()).toMatch(
        /^Not quite: the right answer is “.+[^.]”\.$/,
      );
      expect(await question(page, 1).locator('[data-explanation]').isVisible()).toBe(true);
      expect(await page.locator('[data-check-progress]').textContent()).toBe(
        `0 of ${questions} answered right.`,
      );

      for (let number = 1; number <= questions; number++)
        await answer(page, number, await rightChoice(page, number));
      expect(await question(page, questions).locator('[data-verdict]').textContent()).toBe(
        'Right. That was the last one: this lesson is complete.',
      );
      await expect.poll(() => page.locator('.sidebar [data-progress-lesson="dns"]').isVisible()).toBe(true);
      await expect.poll(() => progressText(page).textContent()).toBe(`1 of ${total} lessons complete`);
      expect(await axeViolations(page)).toEqual([]);

      const stored = JSON.parse(
        (await page.evaluate((key) => localStorage.getItem(key), progressStorageKey)) ?? '{}',
      );
      expect(stored.lessons.dns).toEqual({
        completed: true,
        passedQuestions: Array.from({ length: questions }, (_, index) => index + 1),
      });

      // Back later: the answers are still there, and the home page moves on to the next lesson.
      await page.reload();
      await expect.poll(() => question(page, 1).getAttribute('data-state')).toBe('right');
      expect(await page.locator('[data-check-progress]').textContent()).toBe(
        `All ${questions} answered right: this lesson is complete.`,
      );
      await page.goto(site.url('/'));
      const next = page.locator('[data-continue-link]');
      await expect
        .poll(() => next.textContent())
        .toBe('Continue where you left off: “Put a cache in front of the database”');
      expect(new URL((await next.getAttribute('href')) ?? '', site.url('/')).pathname).toBe(
        '/lessons/caching/',
      );
      expect(await page.locator('.continue [data-course-progress-text]').textContent()).toBe(
        `1 of ${total} lessons complete`,
      );
      expect(errors).toEqual([]);
    });
  });

  it('keeps the questions answered right when the lesson is left half done, and the home page returns to it', async () => {
    await withPage({}, async (page) => {
      await page.goto(site.url('/lessons/stateless-servers/'));
      await answer(page, 2, await rightChoice(page, 2));
      await expect
        .poll(() => page.evaluate((key) => localStorage.getItem(key), progressStorageKey))
        .toContain('"stateless-servers"');
      await page.goto(site.url('/lessons/api-gateway/'));
      await page.goto(site.url('/lessons/stateless-servers/'));
      await expect.poll(() => question(page, 2).getAttribute('data-state')).toBe('right');
      expect(await question(page, 1).getAttribute('data-state')).toBeNull();
      expect(await page.locator('.sidebar [data-progress-lesson="stateless-servers"]').isVisible()).toBe(
        false,
      );

      await page.goto(site.url('/'));
      const link = page.locator('[data-continue-link]');
      await expect.poll(() => link.getAttribute('href')).toBe('/lessons/stateless-servers/');
      expect(await link.textContent()).toContain('Continue where you left off: “Stateless servers');
    });
  });

  it('says so when the browser will not save the answers, and still checks them', async () => {
    await withPage({}, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.addInitScript(() => {
        Storage.prototype.setItem = () => {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        };
      });
      await page.goto(site.url('/lessons/api-gateway/'));
      await answer(page, 1, await rightChoice(page, 1));
      expect(await question(page, 1).getAttribute('data-state')).toBe('right');
      await expect
        .poll(() => page.locator('[data-check-progress]').textContent())
        .toMatch(/^1 of \d answered right\. This browser's storage for the course is full/);
      // This page has no Export button (only the editor has one), so the notice must not send the learner to it.
      expect(await page.locator('[data-check-progress]').textContent()).not.toMatch(/export/i);
      expect(errors).toEqual([]);
    });
  });

  it('shows every answer and explanation without JavaScript, with nothing to press', async () => {
    await withPage({ javaScriptEnabled: false }, async (page) => {
      await page.goto(site.url('/lessons/observability/'));
      const first = question(page, 1);
      expect(await first.locator('.answer-without-script').isVisible()).toBe(true);
      expect(await first.locator('[data-explanation]').isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Check answer' }).first().isVisible()).toBe(false);
      await page.goto(site.url('/'));
      expect(await page.locator('[data-continue-link]').textContent()).toMatch(/^Start with “/);
    });
  });

  it('appears only on lessons with no exercise', async () => {
    await withPage({}, async (page) => {
      await page.goto(site.url('/lessons/caching/'));
      expect(await page.locator('[data-lesson-check]').count()).toBe(0);
      await page.goto(site.url('/lessons/stateless-servers/'));
      expect(await page.locator('[data-lesson-check]').count()).toBe(1);
      expect(await page.locator('.lesson-header .meta').textContent()).toContain('ends with a short check');
      await page.goto(site.url('/phases/3/'));
      const stateless = page.locator('.phase-lessons li', { hasText: 'Stateless servers' });
      expect(await stateless.locator('.meta').textContent()).toContain('short check');
    });
  });
});
