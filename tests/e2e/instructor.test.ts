import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCourse } from '../../engine/course/course.ts';
import { loadWrongImplementations } from '../../engine/course/wrong.ts';
import { instructorStorageKey } from '../../site/lib/instructor-switch.ts';
import { themeStorageKey } from '../../site/lib/theme.ts';
import { axeViolations } from './axe.ts';
import { type ContextOptions, newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import { onFreshPage } from './site-page.ts';

/** The instructor's material on the built site: a guide per lesson, the switch, print, axe. */

let site: SiteUnderTest;
let lessonSlugs: string[];

beforeAll(async () => {
  site = await openSite();
  const context = await newContext(site.browser);
  const page = await context.newPage();
  await page.goto(site.url('/phases/1/'));
  lessonSlugs = await page.$$eval('#course-outline a[href^="/lessons/"]', (links) =>
    links.map((link) => new URL((link as HTMLAnchorElement).href).pathname.split('/')[2] ?? ''),
  );
  await context.close();
});

afterAll(async () => {
  await site?.close();
});

const withPage = <T>(options: ContextOptions, use: (page: Page) => Promise<T>) =>
  onFreshPage(site, options, use);

const guidePath = (slug: string) => `/instructor/guides/${slug}/`;
const handouts = [
  '/instructor/handouts/journey/',
  '/instructor/handouts/phase-1/',
  '/instructor/handouts/phase-2/',
  '/instructor/handouts/phase-3/',
];
const printedPages = ['/instructor/', '/instructor/agendas/', '/instructor/checklist/'];

/** Sentences as the page shows them: `code` spans lose their backticks. */
const asShown = (text: string) => text.replaceAll('`', '');

describe('the guides', () => {
  it('has a guide for every lesson in the outline, with goals, a demo, questions and mistakes', async () => {
    expect(lessonSlugs.length).toBeGreaterThan(0);
    await withPage({}, async (page) => {
      for (const slug of lessonSlugs) {
        const response = await page.goto(site.url(guidePath(slug)));
        expect(response?.status(), slug).toBe(200);
        for (const section of ['#goals', '#demo', '#discussion']) {
          expect(await page.locator(section).count(), `${slug} ${section}`).toBe(1);
        }
        const mistakes = await page.locator('#mistakes, #misconceptions').count();
        expect(mistakes, slug).toBeGreaterThan(0);
      }
    });
  });

  it("lists every kept wrong implementation under the task that rejects it, with that task's hints", async () => {
    const exercises = new Map(loadCourse().map((exercise) => [exercise.manifest.id, exercise]));
    const shown: string[] = [];
    await withPage({}, async (page) => {
      for (const slug of lessonSlugs) {
        await page.goto(site.url(guidePath(slug)));
        const section = page.locator('section[data-exercise]');
        if ((await section.count()) === 0) continue;
        const id = (await section.getAttribute('data-exercise')) ?? '';
        const exercise = exercises.get(id);
        expect(exercise, `${slug} shows the mistakes of "${id}"`).toBeDefined();
        if (!exercise) continue;
        shown.push(id);
        const kept = loadWrongImplementations(exercise);
        expect(await page.locator('.task .mistakes li').count(), id).toBe(kept.length);
        for (const wrong of kept) {
          const task = page.locator(`section:has(> #task-${wrong.breaks})`);
          const text = await task.textContent();
          expect(text, `${id}: ${wrong.patch}`).toContain(asShown(wrong.mistake));
          expect(text, `${id}: ${wrong.patch}`).toContain(wrong.mentions);
          const nudge = exercise.manifest.tasks[wrong.breaks - 1]?.hints[0] ?? '';
          expect(await task.locator('.unblock').textContent()).toContain(asShown(nudge));
        }
      }
    });
    // The guide of every lesson that names an exercise shows its mistakes (these five at least).
    expect(shown).toEqual(
      expect.arrayContaining([
        'single-server',
        'cache-aside',
        'load-balancer',
        'replica-router',
        'rate-limiter',
      ]),
    );
  });
});

describe('the instructor switch', () => {
  it('is hidden from learners, and once turned on at /instructor/ links each lesson to its guide until turned off', async () => {
    await withPage({}, async (page) => {
      const bar = page.getByRole('navigation', { name: 'Instructor', exact: true });
      await page.goto(site.url('/lessons/caching/'));
      expect(await bar.isVisible()).toBe(false);

      await page.goto(site.url('/instructor/'));
      await page.getByLabel(/Show the instructor bar/).check();
      await page.goto(site.url('/lessons/caching/'));
      await bar.getByRole('link', { name: 'Guide for this lesson' }).click();
      await page.waitForURL(site.url(guidePath('caching')));
      await page.reload();
      expect(await bar.isVisible()).toBe(true);

      await page.goto(site.url('/instructor/'));
      expect(await page.getByLabel(/Show the instructor bar/).isChecked()).toBe(true);
      await page.getByLabel(/Show the instructor bar/).uncheck();
      await page.goto(site.url('/lessons/caching/'));
      expect(await bar.isVisible()).toBe(false);
    });
  });
});

/** Pages in a PDF that Chromium printed: one page object per page. */
function pdfPageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-z])/g)?.length ?? 0;
}

/** Elements that stick out past the printable width (A4 with 12 mm margins: 186 mm, 703 CSS px). */
async function cutAtTheSide(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('main *')]
      .filter((element) => element.getBoundingClientRect().right > width + 1)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`);
  });
}

describe('print', () => {
  const printable = { width: 703, height: 1000 };

  it.each(handouts)('prints %s on one page of A4 and of Letter, nothing cut at the side', async (path) => {
    await withPage({ viewport: printable, colorScheme: 'dark' }, async (page) => {
      await page.emulateMedia({ media: 'print' });
      await page.goto(site.url(path));
      expect(await cutAtTheSide(page)).toEqual([]);
      for (const format of ['A4', 'Letter']) {
        expect(pdfPageCount(await page.pdf({ format })), `${path} on ${format}`).toBe(1);
      }
    });
  });

  it('prints the guides, agendas and checklist without the site around them, nothing cut at the side', async () => {
    await withPage({ viewport: printable }, async (page) => {
      await page.emulateMedia({ media: 'print' });
      for (const path of [...printedPages, guidePath('caching'), guidePath('dns')]) {
        await page.goto(site.url(path));
        expect(await cutAtTheSide(page), path).toEqual([]);
        expect(await page.locator('.site-header').isVisible(), path).toBe(false);
        const pages = pdfPageCount(await page.pdf({ format: 'A4' }));
        expect(pages, path).toBeGreaterThan(0);
        expect(pages, path).toBeLessThanOrEqual(8);
      }
    });
  });
});

describe('accessibility', () => {
  it.each(['light', 'dark'] as const)(
    'passes axe on every instructor page in the %s theme',
    async (theme) => {
      const paths = [
        ...printedPages,
        ...handouts,
        '/instructor/handouts/',
        guidePath('caching'),
        guidePath('dns'),
        '/phases/1/',
      ];
      await withPage(
        { colorScheme: theme, storage: { [themeStorageKey]: theme, [instructorStorageKey]: 'on' } },
        async (page) => {
          const found: string[] = [];
          for (const path of paths) {
            await page.goto(site.url(path));
            found.push(...(await axeViolations(page)).map((violation) => `${path} ${violation}`));
          }
          expect(found).toEqual([]);
        },
      );
    },
  );
});
