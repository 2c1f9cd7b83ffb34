import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressStorageKey } from '../../site/lib/progress.ts';
import { themeStorageKey } from '../../site/lib/theme.ts';
import { axeViolations } from './axe.ts';
import {
  type ColorScheme,
  type ContextOptions,
  desktop,
  newContext,
  openSite,
  phone,
  type SiteUnderTest,
} from './site.browser.ts';
import { onFreshPage } from './site-page.ts';
import { workerPreference } from './workspace.browser.ts';

/** The course site as a learner meets it: built, served, and driven in real Chromium. */

let site: SiteUnderTest;
/** Every page of the course: home, the pages in the course outline, and the 404 page. */
let coursePaths: string[];
let lessonPaths: string[];

beforeAll(async () => {
  site = await openSite();
  const context = await newContext(site.browser);
  const page = await context.newPage();
  await page.goto(site.url('/phases/1/'));
  const outline = await page.$$eval('#course-outline a', (links) =>
    links.map((link) => new URL((link as HTMLAnchorElement).href).pathname),
  );
  await context.close();
  lessonPaths = outline.filter((path) => path.startsWith('/lessons/'));
  coursePaths = ['/', ...outline, '/no-such-page/'];
});

afterAll(async () => {
  await site?.close();
});

const withPage = <T>(options: ContextOptions, use: (page: Page) => Promise<T>) =>
  onFreshPage(site, options, use);

describe('every page', () => {
  it('finds the course outline with every phase and at least one lesson', () => {
    expect(coursePaths.filter((path) => path.startsWith('/phases/'))).toEqual([
      '/phases/1/',
      '/phases/2/',
      '/phases/3/',
    ]);
    expect(lessonPaths.length).toBeGreaterThan(0);
  });

  it('renders with a title, a description and exactly one h1', async () => {
    await withPage({}, async (page) => {
      for (const path of coursePaths) {
        const response = await page.goto(site.url(path));
        expect(response?.status(), path).toBe(path === '/no-such-page/' ? 404 : 200);
        expect(await page.title(), path).toMatch(/\S.*Request Journey$|^Request Journey$/);
        expect(await page.getAttribute('meta[name="description"]', 'content'), path).toMatch(/\S.{9,}/);
        const headings = await page.locator('h1').allTextContents();
        expect(headings, path).toHaveLength(1);
        expect(headings[0]?.trim(), path).not.toBe('');
      }
    });
  });

  it.each<ColorScheme>(['light', 'dark'])('passes axe with no violations in the %s theme', async (theme) => {
    await withPage({ colorScheme: theme, storage: { [themeStorageKey]: theme } }, async (page) => {
      const found: string[] = [];
      for (const path of coursePaths) {
        await page.goto(site.url(path));
        expect(await page.getAttribute('html', 'data-theme')).toBe(theme);
        found.push(...(await axeViolations(page)).map((violation) => `${path} ${violation}`));
      }
      expect(found).toEqual([]);
    });
  });

  it('passes axe on a phone, outline open, and nothing scrolls the page sideways', async () => {
    await withPage({ viewport: phone, colorScheme: 'dark' }, async (page) => {
      const found: string[] = [];
      for (const path of coursePaths) {
        await page.goto(site.url(path));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} is wider than the phone`).toBeLessThanOrEqual(0);
        const toggle = page.locator('.outline-toggle');
        if (await toggle.isVisible()) await toggle.click();
        found.push(...(await axeViolations(page)).map((violation) => `${path} ${violation}`));
      }
      expect(found).toEqual([]);
    });
  });
});

describe('the journey diagram', () => {
  it('links every stop to a lesson page that exists', async () => {
    await withPage({}, async (page) => {
      await page.goto(site.url('/'));
      const stops = await page.$$eval('a.stop-card', (links) =>
        links.map((link) => ({
          stop: link.getAttribute('data-stop'),
          href: new URL((link as HTMLAnchorElement).href).pathname,
        })),
      );
      expect(stops.length).toBeGreaterThan(0);
      for (const { stop, href } of stops) {
        expect(href, `${stop}`).toMatch(/^\/lessons\/[a-z0-9-]+\/$/);
        expect(lessonPaths, `${stop} links to ${href}, which is not in the outline`).toContain(href);
      }
      const first = stops[0];
      if (!first) return;
      await page.focus(`a.stop-card[data-stop="${first.stop}"]`);
      await Promise.all([page.waitForURL(site.url(first.href)), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').textContent()).not.toBe('');
    });
  });

  it('opens a stop that has an exercise as its lesson with the editor open', async () => {
    await withPage({ storage: workerPreference }, async (page) => {
      await page.goto(site.url('/'));
      const cache = page.locator('a.stop-card[data-stop="cache"]');
      expect(await cache.textContent()).toContain('exercise');
      expect(await page.locator('a.stop-card[data-stop="dns"]').textContent()).not.toContain('exercise');
      await Promise.all([page.waitForURL(site.url('/lessons/caching/#workspace')), cache.click()]);
      await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
      expect(await page.locator('.monaco-editor').count()).toBeGreaterThan(0);
    });
  });

  it('opens the exercise of a stop on a phone with the editor in view', async () => {
    await withPage({ viewport: phone, storage: workerPreference }, async (page) => {
      await page.goto(site.url('/'));
      await Promise.all([
        page.waitForURL(site.url('/lessons/caching/#workspace')),
        page.locator('a.stop-card[data-stop="cache"]').click(),
      ]);
      await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
      const editorTop = () =>
        page
          .locator('.monaco-editor')
          .first()
          .evaluate((editor) => editor.getBoundingClientRect().top);
      await expect.poll(editorTop, { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
      expect(await editorTop()).toBeLessThan(phone.height);
    });
  });

  it('shows what a stop does while it is focused', async () => {
    await withPage({}, async (page) => {
      await page.goto(site.url('/'));
      const card = page.locator('.stop-card').first();
      const description = page.locator(`#${await card.getAttribute('aria-describedby')}`);
      expect((await description.textContent())?.trim()).toMatch(/\S.{9,}/);
      await expect.poll(() => description.isVisible()).toBe(false);
      await card.focus();
      await expect.poll(() => description.isVisible()).toBe(true);
    });
  });

  it.each([
    ['with JavaScript', true],
    ['without JavaScript', false],
  ])('switches phases %s: parts that come later are drawn dashed', async (_, javaScriptEnabled) => {
    await withPage({ javaScriptEnabled }, async (page) => {
      await page.goto(site.url('/'));
      const border = (stop: string) =>
        page.$eval(`[data-stop="${stop}"]`, (card) => getComputedStyle(card).borderTopStyle);
      expect(await border('replicas')).toBe('solid');
      await page.check('input[name="journey-phase"][value="1"]');
      expect(await border('replicas')).toBe('dashed');
      expect(await border('cache')).toBe('dashed');
      expect(await border('database')).toBe('solid');
      await page.check('input[name="journey-phase"][value="2"]');
      expect(await border('cache')).toBe('solid');
      expect(await border('load-balancer')).toBe('dashed');
    });
  });

  it('passes axe in every phase view, in both themes', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await withPage({ colorScheme: theme }, async (page) => {
        await page.goto(site.url('/'));
        for (const phase of ['1', '2']) {
          await page.check(`input[name="journey-phase"][value="${phase}"]`);
          expect(await axeViolations(page), `${theme}, phase ${phase}`).toEqual([]);
        }
      });
    }
  });
});

describe('cross-origin isolation', () => {
  it('isolates lesson pages, so a WebContainer can boot there', async () => {
    await withPage({}, async (page) => {
      const response = await page.goto(site.url(lessonPaths[0] ?? '/'));
      const headers = response?.headers() ?? {};
      expect(headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    });
  });

  it('leaves the home and phase pages unisolated', async () => {
    await withPage({}, async (page) => {
      for (const path of ['/', '/phases/2/']) {
        const headers = (await page.goto(site.url(path)))?.headers() ?? {};
        expect(headers['cross-origin-opener-policy'], path).toBeUndefined();
        expect(headers['cross-origin-embedder-policy'], path).toBeUndefined();
        expect(await page.evaluate(() => window.crossOriginIsolated), path).toBe(false);
      }
    });
  });
});

describe('navigation', () => {
  it('keeps the chosen theme across reloads and pages', async () => {
    await withPage({ colorScheme: 'light' }, async (page) => {
      await page.goto(site.url('/'));
      const toggle = page.locator('[data-theme-toggle]');
      expect(await toggle.getAttribute('aria-pressed')).toBe('false');
      const lightBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await toggle.click();
      expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
      expect(await toggle.getAttribute('aria-pressed')).toBe('true');
      const darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(darkBackground).not.toBe(lightBackground);
      await page.reload();
      expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
      await page.goto(site.url(lessonPaths[0] ?? '/'));
      expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(darkBackground);
    });
  });

  it('collapses the outline behind a button at 375 px', async () => {
    await withPage({ viewport: phone }, async (page) => {
      await page.goto(site.url(lessonPaths[0] ?? '/'));
      const button = page.getByRole('button', { name: 'Course outline' });
      const outline = page.locator('#course-outline');
      expect(await button.getAttribute('aria-expanded')).toBe('false');
      expect(await outline.isVisible()).toBe(false);
      await button.click();
      expect(await button.getAttribute('aria-expanded')).toBe('true');
      expect(await outline.isVisible()).toBe(true);
      await button.click();
      expect(await outline.isVisible()).toBe(false);
    });
  });

  it('shows the outline open on a desktop, with the current lesson marked', async () => {
    await withPage({ viewport: desktop }, async (page) => {
      const lesson = lessonPaths[0] ?? '/';
      await page.goto(site.url(lesson));
      expect(await page.locator('#course-outline').isVisible()).toBe(true);
      expect(await page.locator('.outline-toggle').isVisible()).toBe(false);
      const current = page.locator('#course-outline a[aria-current="page"]');
      expect(new URL((await current.getAttribute('href')) ?? '', site.url('/')).pathname).toBe(lesson);
    });
  });

  it('links each lesson to the next and the previous in course order', async () => {
    await withPage({}, async (page) => {
      const linkTo = async (rel: 'next' | 'prev') => {
        const link = page.locator(`a[rel="${rel}"]`);
        return (await link.count()) === 0 ? null : link.getAttribute('href');
      };
      for (const [index, path] of lessonPaths.entries()) {
        await page.goto(site.url(path));
        expect(await linkTo('next'), path).toBe(lessonPaths[index + 1] ?? null);
        expect(await linkTo('prev'), path).toBe(lessonPaths[index - 1] ?? null);
      }
    });
  });

  it('ticks completed lessons and shrugs off a corrupt progress record', async () => {
    const [done, notDone] = lessonPaths.map((path) => path.split('/')[2] ?? '');
    const progress = JSON.stringify({ lessons: { [done ?? '']: { completed: true }, x: 'junk' } });
    await withPage({ storage: { [progressStorageKey]: progress } }, async (page) => {
      await page.goto(site.url('/phases/1/'));
      const tick = (slug: string | undefined) =>
        page.locator(`#course-outline [data-progress-lesson="${slug}"]`);
      await expect.poll(() => tick(done).isVisible()).toBe(true);
      if (notDone) expect(await tick(notDone).isVisible()).toBe(false);
    });
    await withPage({ storage: { [progressStorageKey]: '{not json' } }, async (page) => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(site.url('/phases/1/'));
      expect(await page.locator('[data-progress-lesson][data-completed]').count()).toBe(0);
      expect(errors).toEqual([]);
    });
  });
});

describe('lesson pages', () => {
  it('ship only a few KB of JavaScript before the editor is requested', async () => {
    await withPage({}, async (page) => {
      for (const path of lessonPaths) {
        await page.goto(site.url(path));
        const scripts = await page.$$eval('script', (elements) =>
          elements.map((script) => ({
            src: (script as HTMLScriptElement).src,
            text: script.textContent ?? '',
          })),
        );
        const bodies = await Promise.all(
          scripts.map(async ({ src, text }) => (src ? (await page.request.get(src)).text() : text)),
        );
        const gzipped = gzipSync(bodies.join('\n')).length;
        expect(gzipped, `${path}: ${gzipped} bytes of gzipped JS`).toBeLessThan(100_000);
      }
    });
  });

  it('render the exercise workspace of lessons that have one, with an editor root left empty', async () => {
    await withPage({}, async (page) => {
      let withExercise = 0;
      for (const path of lessonPaths) {
        await page.goto(site.url(path));
        const roots = page.locator('[data-workspace-root]');
        if ((await roots.count()) === 0) continue;
        withExercise += 1;
        expect(await roots.count(), path).toBe(1);
        const exercise = await roots.getAttribute('data-exercise');
        expect(await page.locator('.workspace .tasks li').count(), path).toBeGreaterThan(0);
        expect(await page.locator('.workspace pre').textContent(), path).toContain(
          `cd exercises/${exercise} && npm test`,
        );
        expect(await page.getByRole('button', { name: 'Open the editor' }).count(), path).toBe(1);
      }
      expect(withExercise).toBeGreaterThan(0);
    });
  });
});
