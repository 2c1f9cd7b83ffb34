import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import { progressStorageKey } from '../../site/lib/progress.ts';
import { themeStorageKey } from '../../site/lib/theme.ts';
import { axeViolations } from './axe.ts';
import { type ContextOptions, newContext, openSite, phone, type SiteUnderTest } from './site.browser.ts';
import {
  code,
  errorMarkers,
  lessonTick,
  openEditor,
  runTests,
  setCode,
  starterAndSolution,
  taskStates,
  workerPreference,
} from './workspace.browser.ts';

/**
 * The exercise workspace as a learner uses it, on the built site in real
 * Chromium: open the caching lesson's editor, grade, fix, come back later;
 * bad code (syntax errors, endless loops); the runner fallback; hints, reset,
 * the solution, the zip; moving progress to another browser; storage that
 * fails; accessibility. Code is entered through the workspace's test handle
 * (site/workspace/test-hook.ts): typing a whole solution into Monaco key by key
 * fights its auto-closing brackets.
 */

const lesson = '/lessons/caching/';
const file = 'product-cache.ts';
let site: SiteUnderTest;
let starter: string;
let solution: string;

beforeAll(async () => {
  site = await openSite();
  ({ starter, solution } = starterAndSolution('cache-aside', file));
});

afterAll(async () => {
  await site?.close();
});

async function withPage<T>(options: ContextOptions, use: (page: Page) => Promise<T>): Promise<T> {
  const context = await newContext(site.browser, options);
  try {
    const page = await context.newPage();
    await page.goto(site.url(lesson));
    return await use(page);
  } finally {
    await context.close();
  }
}

const withWorker = { storage: workerPreference };

describe('a learner on the caching lesson', () => {
  it('sees every task fail, fixes the code, passes every task, and finds it all after a reload', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      expect(await code(page)).toEqual({ [file]: starter });

      const first = await runTests(page);
      expect(first).toContain('0 of 5 tasks pass');
      expect(await taskStates(page)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail']);
      expect(await page.locator('.ws-task[data-next]').getAttribute('data-task')).toBe('1');
      const results = (await page.locator('.ws-results').textContent()) ?? '';
      expect(results).toContain('fails');
      expect(results).not.toContain('\u001b[');

      await setCode(page, file, solution);
      const second = await runTests(page);
      expect(second).toContain('All 5 tasks pass');
      expect(await taskStates(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
      expect(await page.locator('.ws-task[data-next]').count()).toBe(0);
      await lessonTick(page, 'caching');

      await page.reload();
      await openEditor(page);
      expect(await code(page)).toEqual({ [file]: solution });
      expect(await page.locator('.ws-summary').textContent()).toContain(
        '5 of 5 tasks passed in your last run',
      );
      expect(await taskStates(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
      expect(await page.locator('[data-progress-lesson="caching"][data-completed]').count()).toBeGreaterThan(
        0,
      );
      const stored = await page.evaluate((key) => localStorage.getItem(key), progressStorageKey);
      expect(JSON.parse(stored ?? '{}').lessons.caching).toEqual({ completed: true });
    });
  });

  it('shows a syntax error with its line and column, marks it in the editor, and passes no test', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      const lines = starter.split('\n');
      const line = lines.findIndex((text) => text.startsWith('export function createProductService')) + 1;
      lines.splice(line - 1, 0, 'const broken = ;');
      await setCode(page, file, lines.join('\n'));

      expect(await runTests(page)).toContain('does not compile, so no test ran');
      const place = page.locator('.ws-diagnostics button');
      expect(await place.textContent()).toBe(`${file}, line ${line}, column 16`);
      expect(await taskStates(page)).not.toContain('pass');
      const markers = await errorMarkers(page);
      expect(markers).toContainEqual(expect.objectContaining({ owner: 'grader', line, column: 16 }));
    });
  });

  it('stops an endless loop, stays responsive, and grades the next run', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(
        page,
        file,
        starter.replace('const { db } = deps;', 'const { db } = deps;\n  while (true) {}'),
      );
      const run = runTests(page);
      // While the learner's loop spins in the Worker, the page keeps answering.
      await page.waitForSelector('.ws-summary:has-text("Running")');
      const delay = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const queued = performance.now();
            setTimeout(() => resolve(performance.now() - queued), 0);
          }),
      );
      expect(delay).toBeLessThan(250);
      await page.getByRole('tab', { name: /harness\.ts/ }).click();
      expect(await page.getByRole('tab', { name: /harness\.ts/ }).getAttribute('aria-selected')).toBe('true');
      // It names the grader test that was running (the loop runs when a test creates the service).
      expect(await run).toMatch(/stopped before the tests finished, while the grader ran task 1, "[^"]+"/);
      expect(await page.locator('.ws-problem').textContent()).toContain('still running after 10 s');
      expect(await taskStates(page)).not.toContain('pass');

      await setCode(page, file, solution);
      expect(await runTests(page)).toContain('All 5 tasks pass');
    });
  });

  it('grades with the Worker within 5 s, with a one-line notice, when the WebContainer cannot be reached', async () => {
    const context = await newContext(site.browser);
    try {
      await context.route(/stackblitz|staticblitz|webcontainer-api/, (route) => route.abort());
      const page = await context.newPage();
      await page.goto(site.url(lesson));
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.getByRole('button', { name: 'Open the editor' }).click();
      await page.locator('.ws-runner-active:has-text("Starting the WebContainer")').waitFor();
      await page.locator('.ws-runner-active:has-text("Web Worker")').waitFor({ timeout: 10_000 });
      // The workspace starts choosing as it opens; the choice (WebContainer download and boot attempt included) has 5 s.
      const choosing = await page.evaluate(
        () => performance.getEntriesByName('workspace:runner-choice', 'measure')[0]?.duration ?? Number.NaN,
      );
      // The boot frame's early verdict decides, within the 5 s budget (runtime-runner-choice.test.ts).
      expect(choosing).toBeLessThan(5_000);
      const notice = page.locator('.ws-runner-notice summary');
      expect(await notice.textContent()).toContain('the WebContainer could not start');
      await notice.click();
      expect(await page.locator('.ws-runner-notice p').textContent()).toContain('stackblitz.com');
      await page.locator('[data-workspace-root][data-editor-ready]').waitFor();
      expect(await runTests(page)).toContain('0 of 5 tasks pass');
      expect(await page.locator('.ws-run-meta').textContent()).toContain('by the Web Worker (this page)');
    } finally {
      await context.close();
    }
  });

  it('reports a runner that fails as a problem of the course, not of the learner', async () => {
    await withPage(withWorker, async (page) => {
      // The grading Worker's script cannot be downloaded: a network hiccup, a deploy in progress.
      await page.context().route(/grader-worker/, (route) => route.abort());
      await openEditor(page);
      expect(await runTests(page)).toContain('This is a problem with the course, not with your code.');
      expect(await page.locator('.ws-summary').getAttribute('data-tone')).toBe('course');
      expect(await taskStates(page)).not.toContain('fail');
      expect(await taskStates(page)).not.toContain('pass');
    });
  });

  it('reveals hints one step at a time and remembers them', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      const task = page.locator('.ws-task[data-task="2"]');
      await task.getByRole('button', { name: 'Show a hint for task 2' }).click();
      expect(await task.locator('.ws-hints-list li').count()).toBe(1);
      await task.getByRole('button', { name: 'Show hint 2 of 3' }).click();
      expect(await task.locator('.ws-hints-list li').count()).toBe(2);
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Hint 2 of 3');

      await page.reload();
      await openEditor(page);
      expect(await task.locator('.ws-hints-list li').count()).toBe(2);
      expect(await task.getByRole('button', { name: 'Show hint 3 of 3' }).count()).toBe(1);
      expect(await page.locator('.ws-task[data-task="1"] .ws-hints-list li').count()).toBe(0);
    });
  });

  it('resets to the starter, and Undo brings the code back', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      const mine = `${starter}\n// my notes\n`;
      await setCode(page, file, mine);
      await page.getByRole('button', { name: 'Reset to the starter' }).click();
      expect(await code(page)).toEqual({ [file]: starter });
      await page.getByRole('button', { name: 'Undo' }).click();
      expect(await code(page)).toEqual({ [file]: mine });

      await page.reload();
      await openEditor(page);
      expect(await code(page)).toEqual({ [file]: mine });
    });
  });

  it('shows the reference solution as a diff, only after confirming', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await page.getByRole('button', { name: 'Show solution' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.locator('ins').count()).toBe(0);
      await dialog.getByRole('button', { name: 'Show the solution' }).click();
      await dialog.locator('ins').first().waitFor();
      expect(await dialog.locator('figcaption').first().textContent()).toContain('reference solution');
      const added = await dialog.locator('ins').allTextContents();
      expect(added.join('\n')).toContain('$1');
      await dialog.getByRole('button', { name: 'Close' }).click();
      expect(await page.getByRole('dialog').count()).toBe(0);
    });
  });
});

describe('progress and files', () => {
  it('exports all progress and imports it into a fresh browser profile', async () => {
    const exported = await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(page, file, solution);
      expect(await runTests(page)).toContain('All 5 tasks pass');
      await page
        .locator('.ws-task[data-task="3"]')
        .getByRole('button', { name: /Show a hint/ })
        .click();
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export progress' }).click();
      const path = await (await download).path();
      return readFile(path, 'utf8');
    });
    expect(JSON.parse(exported).format).toBe('request-journey-progress');

    const folder = await mkdtemp(join(tmpdir(), 'progress-'));
    try {
      const saved = join(folder, 'progress.json');
      await writeFile(saved, exported);
      await withPage({}, async (page) => {
        expect(await page.locator('[data-progress-lesson="caching"][data-completed]').count()).toBe(0);
        await page.getByRole('button', { name: 'Open the editor' }).click();
        await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
        expect(await code(page)).toEqual({ [file]: starter });
        page.once('dialog', (dialog) => void dialog.accept());
        const chooser = page.waitForEvent('filechooser');
        await page.getByRole('button', { name: 'Import progress' }).click();
        await (await chooser).setFiles(saved);
        await page.locator('.ws-progress-file .ws-action-status:has-text("Imported")').waitFor();
        expect(await code(page)).toEqual({ [file]: solution });
        expect(await page.locator('.ws-task[data-task="3"] .ws-hints-list li').count()).toBe(1);
        expect(await taskStates(page)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
        await lessonTick(page, 'caching');
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('downloads the exercise as a zip that grades offline with npm test', async () => {
    const zip = await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(page, file, solution);
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download as a zip' }).click();
      return readFile(await (await download).path());
    });
    const folder = await mkdtemp(join(tmpdir(), 'exercise-zip-'));
    try {
      const entries = unzipSync(new Uint8Array(zip));
      const root = join(folder, 'request-journey-cache-aside');
      for (const [name, data] of Object.entries(entries)) {
        if (name.endsWith('/')) continue;
        await mkdir(join(folder, name, '..'), { recursive: true });
        await writeFile(join(folder, name), data);
      }
      expect(Object.keys(entries)).toContain('request-journey-cache-aside/package.json');
      // `npm install` would fetch the same pinned packages the course already has: link them instead.
      await symlink(join(courseRoot, 'node_modules'), join(root, 'node_modules'));
      const { stdout } = await promisify(execFile)('npm', ['test'], {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(stdout).toMatch(/cache-aside\s+✓✓✓✓✓\s+5\/5\s+complete/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('says so, and keeps working, when the browser refuses to save', async () => {
    await withPage(withWorker, async (page) => {
      await page.evaluate(() => {
        Storage.prototype.setItem = () => {
          throw new DOMException('full', 'QuotaExceededError');
        };
      });
      await openEditor(page);
      await setCode(page, file, `${starter}\n// unsaved\n`);
      const notice = page.getByRole('alert').filter({ hasText: 'storage for the course is full' });
      await notice.waitFor({ timeout: 5_000 });
      expect(await runTests(page)).toContain('0 of 5 tasks pass');
    });
  });
});

describe('the page around the workspace', () => {
  it('loads nothing of Monaco, and links no editor CSS, until the editor is requested', async () => {
    await withPage(withWorker, async (page) => {
      const html = await (await page.request.get(site.url(lesson))).text();
      const stylesheets = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map(
        (match) => match[1] ?? '',
      );
      for (const href of stylesheets) {
        const css = await (await page.request.get(site.url(href))).text();
        expect(css, href).not.toContain('monaco');
      }
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      await page.reload({ waitUntil: 'networkidle' });
      expect(requested.filter((url) => /monaco|code-editor|editor\.worker|ts\.worker/.test(url))).toEqual([]);
      expect(
        await page
          .locator('style')
          .evaluateAll((styles) => styles.some((s) => s.textContent?.includes('monaco'))),
      ).toBe(false);

      await openEditor(page);
      expect(requested.some((url) => url.includes('code-editor'))).toBe(true);
      expect(await page.locator('.monaco-editor').count()).toBeGreaterThan(0);
    });
  });

  it('opens from a #workspace link', async () => {
    await withPage(withWorker, async (page) => {
      await page.goto(site.url(`${lesson}#workspace`));
      await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
      expect(await page.getByRole('tab', { name: file }).getAttribute('aria-selected')).toBe('true');
    });
  });

  it.each(['light', 'dark'] as const)(
    'has no axe violations with the workspace open in the %s theme',
    async (theme) => {
      await withPage(
        { colorScheme: theme, storage: { ...workerPreference, [themeStorageKey]: theme } },
        async (page) => {
          await openEditor(page);
          await runTests(page);
          await page
            .locator('.ws-task[data-task="1"]')
            .getByRole('button', { name: /Show a hint/ })
            .click();
          const violations = await axeViolations(page);
          expect(violations).toEqual([]);
        },
      );
    },
  );

  it('fills the width of a phone once opened, without scrolling the page sideways', async () => {
    await withPage({ viewport: phone, storage: workerPreference }, async (page) => {
      expect(await page.locator('.monaco-editor').count()).toBe(0);
      await openEditor(page);
      const { width, left, overflow } = await page.evaluate(() => {
        const box = document.querySelector('[data-workspace-root]')?.getBoundingClientRect();
        return {
          width: box?.width ?? 0,
          left: box?.left ?? -1,
          overflow: document.documentElement.scrollWidth - window.innerWidth,
        };
      });
      expect(left).toBe(0);
      expect(width).toBe(phone.width);
      expect(overflow).toBeLessThanOrEqual(0);
    });
  });
});

/** Where an element is on screen, and whether it is inside the window. */
const box = (page: Page, selector: string) =>
  page
    .locator(selector)
    .first()
    .evaluate((element) => {
      const { top, bottom, left, right, width } = element.getBoundingClientRect();
      return { top, bottom, left, right, width, inView: top >= 0 && bottom <= innerHeight && left >= 0 };
    });

/** The window's width without its scroll bar: where a panel fixed to the right edge ends. */
const windowWidth = (page: Page) => page.evaluate(() => document.documentElement.clientWidth);

describe('the workspace beside the lesson', () => {
  it.each([
    { width: 1280, height: 800 },
    { width: 1920, height: 1080 },
  ])(
    'opens as a split view at $width x $height: the lesson scrolls, the editor and the first failure stay in view',
    async (viewport) => {
      await withPage({ viewport, storage: workerPreference }, async (page) => {
        await openEditor(page);
        const panel = await box(page, '[data-workspace-root]');
        const lesson = await box(page, 'main');
        expect(panel.right).toBe(await windowWidth(page));
        expect(panel.top).toBe(0);
        expect(lesson.right, 'the lesson sits left of the editor').toBeLessThanOrEqual(panel.left);
        expect(lesson.width).toBeGreaterThan(400);

        await runTests(page);
        // Right after the run, without scrolling: the message that says what to fix, and the editor.
        const failure = await box(page, '.ws-summary-failure');
        expect(failure.inView).toBe(true);
        expect(await page.locator('.ws-summary-failure').textContent()).not.toBe('');
        expect((await box(page, '.monaco-editor')).top).toBeLessThan(viewport.height - 200);

        // The lesson scrolls on its own; the workspace stays where it is.
        await page.mouse.move(100, 400);
        await page.mouse.wheel(0, 2_000);
        await page.waitForFunction(() => scrollY > 1_000);
        expect((await box(page, '[data-workspace-root]')).top).toBe(0);
        expect((await box(page, '.ws-summary-failure')).inView).toBe(true);
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
      });
    },
  );

  it('has a divider the keyboard moves, remembered after a reload', async () => {
    await withPage({ viewport: { width: 1280, height: 800 }, storage: workerPreference }, async (page) => {
      await openEditor(page);
      const divider = page.getByRole('separator', { name: /Resize the lesson and the editor/ });
      expect(await divider.getAttribute('aria-valuenow')).toBe('50');
      await divider.focus();
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      expect(await divider.getAttribute('aria-valuenow')).toBe('40');
      expect((await box(page, '[data-workspace-root]')).width).toBeCloseTo(1280 * 0.6, -1);

      await page.reload();
      await openEditor(page);
      expect(await divider.getAttribute('aria-valuenow')).toBe('40');
      expect((await box(page, '[data-workspace-root]')).width).toBeCloseTo(1280 * 0.6, -1);
    });
  });

  it('closes back to the lesson and opens again as it was', async () => {
    await withPage({ viewport: { width: 1280, height: 800 }, storage: workerPreference }, async (page) => {
      await openEditor(page);
      await setCode(page, file, `${starter}\n// kept while closed\n`);
      await page.getByRole('button', { name: 'Close the editor' }).click();
      expect(await page.locator('[data-workspace-root]').isVisible()).toBe(false);
      expect((await box(page, 'main')).right).toBeGreaterThan(1280 / 2);
      await page.getByRole('button', { name: 'Open the editor' }).click();
      expect((await box(page, '[data-workspace-root]')).right).toBe(await windowWidth(page));
      expect((await code(page))[file]).toContain('// kept while closed');
    });
  });

  it('keeps a stacked layout on a phone (390 x 844), with the first failure readable whole', async () => {
    await withPage({ viewport: { width: 390, height: 844 }, storage: workerPreference }, async (page) => {
      await openEditor(page);
      const panel = await box(page, '[data-workspace-root]');
      expect(panel.left).toBe(0);
      expect(panel.width).toBe(390);
      expect(
        await page.locator('[data-workspace-root]').evaluate((root) => getComputedStyle(root).position),
      ).not.toBe('fixed');
      expect(await page.getByRole('separator').count()).toBe(0);
      // A phone hides scroll bars: a message cut inside its box reads as if it ended mid-sentence.
      await runTests(page);
      const failure = page.locator('.ws-summary-failure');
      expect(
        await failure.evaluate((message) => message.scrollHeight - message.clientHeight),
      ).toBeLessThanOrEqual(1);
    });
  });

  it('reaches every file at 1280 px: a list of all files opens one, and its tab scrolls into view', async () => {
    await withPage({ viewport: { width: 1280, height: 800 }, storage: workerPreference }, async (page) => {
      await openEditor(page);
      const tabs = page.getByRole('tab');
      const count = await tabs.count();
      expect(count).toBeGreaterThanOrEqual(8);
      const list = page.getByRole('combobox', { name: `All ${count} files` });
      expect(await list.locator('option').count()).toBe(count);
      const last = tabs.last();
      const path = (await last.getAttribute('data-path')) ?? '';
      await list.selectOption(path);
      expect(await last.getAttribute('aria-selected')).toBe('true');
      const row = await box(page, '.ws-tabs');
      const tab = await box(page, `.ws-tab[data-path="${path}"]`);
      expect(tab.left).toBeGreaterThanOrEqual(row.left);
      expect(tab.right).toBeLessThanOrEqual(row.right + 1);
      // One line of tabs: the editor is not pushed down by rows of them.
      expect(row.bottom - row.top).toBeLessThan(60);
    });
  });

  it('names the way out of the editor in its accessible name, where focus lands', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await page.waitForFunction(() => document.activeElement?.closest('.monaco-editor') !== null);
      const name = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
      expect(name).toContain('Ctrl+M');
      expect(name).toContain('Ctrl+Shift+M on a Mac');
    });
  });
});

describe('results, hints and the solution', () => {
  it('shows identical failures of a task once, with the number of tests', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await runTests(page);
      for (const task of await page.locator('.ws-task').all()) {
        const messages = await task.locator('.ws-failure').allTextContents();
        expect(new Set(messages).size, `task ${await task.getAttribute('data-task')}`).toBe(messages.length);
      }
      const grouped = page.locator('.ws-test[data-count]:not([data-count="1"])').first();
      expect(await grouped.textContent()).toMatch(/\d+ tests:/);
    });
  });

  it('leaves no hint button after the last hint, and hint code stays inside the task card', async () => {
    await withPage({ viewport: { width: 1280, height: 800 }, storage: workerPreference }, async (page) => {
      await openEditor(page);
      const task = page.locator('.ws-task[data-task="1"]');
      await task.getByRole('button', { name: /Show a hint/ }).click();
      await task.getByRole('button', { name: 'Show hint 2 of 3' }).click();
      await task.getByRole('button', { name: 'Show hint 3 of 3' }).click();
      expect(await task.locator('.ws-hints-list li').count()).toBe(3);
      expect(await task.locator('.ws-hints button').isVisible()).toBe(false);
      const card = await box(page, '.ws-task[data-task="1"]');
      const panel = await box(page, '[data-workspace-root]');
      expect(card.right).toBeLessThanOrEqual(panel.right);
      const code = task.locator('.ws-hints pre');
      expect((await code.boundingBox())?.width ?? 0).toBeLessThanOrEqual(card.width);
    });
  });

  it('marks results and the completed lesson out of date after Reset, and Undo brings both back', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(page, file, solution);
      expect(await runTests(page)).toContain('All 5 tasks pass');
      await lessonTick(page, 'caching');
      expect(await page.locator('.ws-stale-note').first().isVisible()).toBe(false);

      await page.getByRole('button', { name: 'Reset to the starter' }).click();
      await page.locator('.ws-stale-note').first().waitFor();
      await lessonTick(page, 'caching', false);
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export progress' }).click();
      const exported = JSON.parse(await readFile((await (await download).path()) ?? '', 'utf8'));
      expect(exported.exercises['cache-aside'].files[file]).toBe(starter);
      expect(exported.lessons.caching.completed).toBe(false);

      await page.getByRole('button', { name: 'Undo' }).click();
      await lessonTick(page, 'caching');
      expect(await page.locator('.ws-stale-note').first().isVisible()).toBe(false);
    });
  });

  it('shows the solution as a diff of code only, and "Use the solution" can be undone', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await page.getByRole('button', { name: 'Show solution' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Show the solution' }).click();
      await dialog.locator('ins').first().waitFor();
      const changed = [
        ...(await dialog.locator('ins').allTextContents()),
        ...(await dialog.locator('del').allTextContents()),
      ];
      const prose = changed.filter((line) => /^[-+] (\s*(\/\/|\/\*|\*)|\s*$)/.test(line));
      expect(prose).toEqual([]);
      await dialog.getByRole('button', { name: 'Use the solution' }).click();
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect(await code(page)).toEqual({ [file]: solution });
      await page.getByRole('button', { name: 'Undo' }).click();
      expect(await code(page)).toEqual({ [file]: starter });
    });
  });

  it('shows an error thrown while the code loads on its own, marked at its line, not as task 1 failing', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(page, file, `${solution}\nthrow new Error('REDIS_URL is not set');\n`);
      const line = solution.split('\n').length + 1;
      expect(await runTests(page)).toContain('threw an error while it was loading, so no test could run');
      expect(await page.locator('.ws-problem').textContent()).toContain('REDIS_URL is not set');
      // Column 7: the error is made by `new Error(...)`, where the stack says it was thrown.
      expect(await page.locator('.ws-problem .ws-diagnostics button').textContent()).toBe(
        `${file}, line ${line}, column 7`,
      );
      expect(await errorMarkers(page)).toContainEqual(
        expect.objectContaining({ owner: 'grader', line, column: 7, message: 'REDIS_URL is not set' }),
      );
      expect(await page.locator('.ws-task[data-next]').count()).toBe(0);
      expect(await taskStates(page)).toEqual(['not-run', 'not-run', 'not-run', 'not-run', 'not-run']);
    });
  });

  it('names a type error the editor marks as the likely cause of failing tests', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      const lines = starter.split('\n');
      const line = lines.findIndex((text) => text.startsWith('export function createProductService')) + 1;
      lines.splice(line - 1, 0, "const ttlSeconds: number = '300';");
      await setCode(page, file, lines.join('\n'));
      await page.waitForFunction(
        () => window.requestJourneyWorkspace?.errorMarkers().some((marker) => marker.owner === 'typescript'),
        undefined,
        { timeout: 30_000 },
      );
      await runTests(page);
      const note = page.locator('.ws-type-error');
      expect(await note.textContent()).toContain(`${file}, line ${line}`);
      await note.getByRole('button').click();
      expect(await page.evaluate(() => document.activeElement?.closest('.monaco-editor') !== null)).toBe(
        true,
      );
    });
  });

  it('stops a run with the Stop button, then grades the next run', async () => {
    await withPage(withWorker, async (page) => {
      await openEditor(page);
      await setCode(
        page,
        file,
        starter.replace('const { db } = deps;', 'const { db } = deps;\n  while (true) {}'),
      );
      const run = runTests(page);
      await page.getByRole('button', { name: 'Stop' }).click();
      expect(await run).toContain('You stopped the run');
      // Which grader test was running depends on how far the run got when Stop was pressed.
      expect(await page.locator('.ws-problem').textContent()).toMatch(/The run was stopped (while|before)/);
      expect(await taskStates(page)).not.toContain('pass');
      await setCode(page, file, solution);
      expect(await runTests(page)).toContain('All 5 tasks pass');
    });
  });
});
