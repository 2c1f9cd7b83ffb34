import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import {
  code,
  openEditor,
  runTests,
  setCode,
  starterAndSolution,
  taskStates,
  workerPreference,
} from './workspace.browser.ts';

/**
 * The learner's saved work in real Chromium when it is hardest to keep: the same lesson open in two
 * tabs of one browser, an import that does not fit, and a localStorage that throws when read.
 */

const lesson = '/lessons/caching/';
const file = 'product-cache.ts';
const exerciseKey = 'request-journey:v1:exercise:cache-aside';
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

async function withContext<T>(use: (context: BrowserContext) => Promise<T>, init?: () => void): Promise<T> {
  const context = await newContext(site.browser, { storage: workerPreference });
  if (init) await context.addInitScript(init);
  try {
    return await use(context);
  } finally {
    await context.close();
  }
}

async function openTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.url(lesson));
  await openEditor(page);
  return page;
}

const storedCode = (page: Page) =>
  page.evaluate(
    ([key, name]) =>
      (JSON.parse(localStorage.getItem(key) ?? '{"files":{}}').files as Record<string, string>)[name],
    [exerciseKey, file] as const,
  );

const waitForStoredCode = (page: Page, text: string) =>
  page.waitForFunction(
    ([key, name, expected]) =>
      JSON.parse(localStorage.getItem(key) ?? '{"files":{}}').files[name] === expected,
    [exerciseKey, file, text] as const,
    { timeout: 5_000 },
  );

const waitForEditorCode = (page: Page, text: string) =>
  page.waitForFunction(
    ([name, expected]) => window.requestJourneyWorkspace?.code()[name] === expected,
    [file, text] as const,
    { timeout: 5_000 },
  );

const otherTabNotice = (page: Page) => page.locator('.ws-other-tab-notice:not([hidden])');

describe('the same lesson open in two tabs', () => {
  it("shows one tab's code in the other, and the other tab's run does not write its stale code over it", async () => {
    await withContext(async (context) => {
      const first = await openTab(context);
      const second = await openTab(context);
      const newer = `${starter}\n// typed in the first tab\n`;
      await setCode(first, file, newer);
      await waitForStoredCode(first, newer);

      // The second tab had not been touched since: it now shows the newer code, and says why.
      await waitForEditorCode(second, newer);
      expect(await otherTabNotice(second).textContent()).toContain(
        'Another tab changed the code of this exercise',
      );

      // Its run grades and records that code; the stored code stays the newer one.
      expect(await runTests(second)).toContain('0 of 5 tasks pass');
      await second
        .locator('.ws-task[data-task="1"]')
        .getByRole('button', { name: /Show a hint/ })
        .click();
      expect(await storedCode(second)).toBe(newer);
      expect(await storedCode(first)).toBe(newer);
    });
  });

  it('while both are typing, keeps this tab’s code, warns, and offers the other tab’s', async () => {
    await withContext(async (context) => {
      const first = await openTab(context);
      const second = await openTab(context);
      const mine = `${starter}\n// typed in the second tab\n`;
      const theirs = `${starter}\n// saved by the first tab meanwhile\n`;
      // The second tab has typing not saved yet (autosave waits for a pause) when the first tab saves.
      await setCode(second, file, mine);
      await first.evaluate(
        ([key, name, text]) =>
          localStorage.setItem(
            key,
            JSON.stringify({ files: { [name]: text }, passedTasks: [], hintsRevealed: {} }),
          ),
        [exerciseKey, file, theirs] as const,
      );
      const notice = otherTabNotice(second);
      await notice.getByText('while you were editing here').waitFor({ timeout: 5_000 });
      expect(await code(second)).toEqual({ [file]: mine });
      await waitForStoredCode(second, mine);

      await notice.getByRole('button', { name: "Load the other tab's code" }).click();
      expect(await code(second)).toEqual({ [file]: theirs });
      await waitForStoredCode(second, theirs);
    });
  });

  it('an import in one tab is not undone by the other tab, lesson completion included', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'progress-'));
    try {
      await withContext(async (context) => {
        const first = await openTab(context);
        const second = await openTab(context);
        await setCode(first, file, solution);
        expect(await runTests(first)).toContain('All 5 tasks pass');
        await waitForEditorCode(second, solution);

        const imported = `${starter}\n// from the imported file\n`;
        const saved = join(folder, 'progress.json');
        await writeFile(
          saved,
          JSON.stringify({
            format: 'request-journey-progress',
            schemaVersion: 1,
            exportedAt: '2026-11-01T00:00:00.000Z',
            lessons: { caching: { completed: true } },
            exercises: { 'cache-aside': { files: { [file]: imported }, passedTasks: [], hintsRevealed: {} } },
            preferences: { runner: 'worker' },
          }),
        );
        first.once('dialog', (dialog) => void dialog.accept());
        const chooser = first.waitForEvent('filechooser');
        await first.getByRole('button', { name: 'Import progress' }).click();
        await (await chooser).setFiles(saved);
        await first.locator('.ws-progress-file .ws-action-status:has-text("Imported")').waitFor();

        await waitForEditorCode(second, imported);
        const lessons = () => second.evaluate(() => localStorage.getItem('request-journey:v1:progress'));
        expect(JSON.parse((await lessons()) ?? '{}').lessons.caching).toMatchObject({ completed: true });
        expect(await runTests(second)).toContain('0 of 5 tasks pass');
        expect(await storedCode(second)).toBe(imported);
        // A lesson stays completed only while the code that completed it is in the editor.
        expect(JSON.parse((await lessons()) ?? '{}').lessons.caching?.completed).not.toBe(true);

        // The progress the import replaced is kept, and comes back on request.
        const restore = first.getByRole('button', { name: 'Restore the progress before the last import' });
        first.once('dialog', (dialog) => void dialog.accept());
        await restore.click();
        await waitForEditorCode(first, solution);
        expect(await taskStates(first)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
        await waitForEditorCode(second, solution);
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('storage that misbehaves', () => {
  it('an import that does not fit is refused whole, and the code stays as it was', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'progress-'));
    try {
      const saved = join(folder, 'big.json');
      await writeFile(
        saved,
        JSON.stringify({
          format: 'request-journey-progress',
          schemaVersion: 1,
          exportedAt: '2026-11-01T00:00:00.000Z',
          lessons: {},
          exercises: Object.fromEntries(
            ['cache-aside', 'load-balancer', 'replica-router'].map((id) => [
              id,
              { files: { 'a.ts': `// ${id}\n${'x'.repeat(40_000)}` }, passedTasks: [], hintsRevealed: {} },
            ]),
          ),
          preferences: { runner: 'worker' },
        }),
      );
      await withContext(
        async (context) => {
          const page = await openTab(context);
          const mine = `${starter}\n// mine\n`;
          await setCode(page, file, mine);
          await waitForStoredCode(page, mine);
          const before = await page.evaluate(() => JSON.stringify({ ...localStorage }));

          page.once('dialog', (dialog) => void dialog.accept());
          const chooser = page.waitForEvent('filechooser');
          await page.getByRole('button', { name: 'Import progress' }).click();
          await (await chooser).setFiles(saved);
          const status = page.locator('.ws-progress-file .ws-action-status[data-tone="fail"]');
          await status.waitFor();
          expect(await status.textContent()).toMatch(/no room .*Nothing was changed/);
          expect(await code(page)).toEqual({ [file]: mine });
          expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).toBe(before);
        },
        () => {
          // A browser whose storage for the site holds 100 000 characters.
          const setItem = Storage.prototype.setItem;
          Storage.prototype.setItem = function (this: Storage, key: string, value: string) {
            let size = key.length + value.length;
            for (let i = 0; i < this.length; i++) {
              const other = this.key(i) ?? '';
              if (other !== key) size += other.length + (this.getItem(other) ?? '').length;
            }
            if (size > 100_000) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
            setItem.call(this, key, value);
          };
        },
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('a localStorage that throws when read still opens the workspace, with the not-saved notice', async () => {
    await withContext(
      async (context) => {
        const page = await context.newPage();
        await page.goto(site.url(lesson));
        await page.getByRole('button', { name: 'Open the editor' }).click();
        await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
        await page.getByRole('alert').filter({ hasText: 'does not let the course save' }).waitFor();
        expect(await page.locator('[data-workspace-error]').count()).toBe(0);
        await setCode(page, file, solution);
        expect(await code(page)).toEqual({ [file]: solution });
      },
      () => {
        Storage.prototype.getItem = () => {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        };
      },
    );
  });
});
