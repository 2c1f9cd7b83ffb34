import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPreview, startPreview } from '../../site/scripts/preview.ts';
import { CHROMIUM_FLAGS } from './chromium.ts';
import { newContext } from './site.browser.ts';
import { openEditor, setCode, starterAndSolution, workerPreference } from './workspace.browser.ts';

/**
 * Learner code that exhausts the memory, on the built site in Chromium, with
 * the production time budget (10 s). In Chromium a dedicated Worker lives in
 * its page's process and running out of memory ends the process, so the
 * workspace grades in a frame from another site (its own process); the
 * preview serves it under the other loopback name. The page must survive, say
 * what happened, and grade the next run.
 *
 * Chromium here gets a 512 MB JavaScript heap (as a laptop with little memory
 * would): with this machine's 24 GB the heap limit came only 10-19 s into the
 * loop, racing the 10 s budget, where the issue saw it come first in every try.
 *
 * Playwright takes the crash of any frame of a page for a crash of the page
 * and then refuses to drive it, so once the frame has died the page is read
 * through a DevTools session of its own, which shows the page as it is.
 */

const lesson = '/lessons/caching/';
const file = 'product-cache.ts';
const hog = 'const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1));\n';
let preview: RunningPreview;
let browser: Browser;
let starter: string;
let solution: string;

beforeAll(async () => {
  preview = await startPreview(0, undefined, ['classroom.test']);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // classroom.test: the site as a room's laptops see it, over plain http from another computer.
    args: [
      ...CHROMIUM_FLAGS,
      '--js-flags=--max-old-space-size=512',
      '--host-resolver-rules=MAP classroom.test 127.0.0.1',
    ],
  });
  ({ starter, solution } = starterAndSolution('cache-aside', file));
});

afterAll(async () => {
  await browser?.close();
  await preview?.stop();
});

/** Evaluates in the page through DevTools directly: it keeps working after a frame of the page crashed. */
async function evaluate<T>(session: CDPSession, expression: string): Promise<T> {
  const { result, exceptionDetails } = await session.send('Runtime.evaluate', {
    expression,
    awaitPromise: true,
    returnByValue: true,
  });
  if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
  return result.value as T;
}

/** Waits for a run's outcome in the results summary (as runTests does), read through DevTools. */
async function outcomeOf(session: CDPSession, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const summary = await evaluate<string>(
      session,
      `document.querySelector('.ws-summary')?.textContent ?? ''`,
    );
    if (summary !== '' && !summary.startsWith('Running')) return summary;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no outcome within ${timeoutMs / 1000} s`);
}

async function openWorkspace(page: Page): Promise<void> {
  await page.goto(new URL(lesson, preview.url).href);
  await openEditor(page);
}

describe('runaway memory in the Worker runner, in Chromium', () => {
  it('ends only the grading frame: the page survives, says the code used too much memory, and grades the next run', async () => {
    const context = await newContext(browser, { storage: workerPreference });
    try {
      const page = await context.newPage();
      await openWorkspace(page);
      // The frame is the other loopback name of the same server: another site, so another process.
      const frame = page.locator('iframe[src*="/grading-frame/"]');
      await frame.waitFor({ state: 'attached' });
      expect(new URL((await frame.getAttribute('src')) ?? '').hostname).toBe('127.0.0.1');
      const session = await context.newCDPSession(page);

      await setCode(page, file, `${starter}\n${hog}`);
      await page.getByRole('button', { name: 'Run tests' }).click();
      const clicked = Date.now();
      expect(await outcomeOf(session, 60_000)).toContain('stopped before the tests finished');
      console.log(
        `out-of-memory run reported ${((Date.now() - clicked) / 1000).toFixed(1)} s after Run tests`,
      );
      const message = await evaluate<string>(
        session,
        `document.querySelector('.ws-callout pre')?.textContent`,
      );
      expect(message).toContain('used more memory than the page can give it');
      expect(message).toMatch(/keeps adding to an array or a Map/);
      expect(message, 'the budget did not stop it first').not.toContain('still running after');

      // The same page, not a reload: the solution passes every task.
      await evaluate(
        session,
        `window.requestJourneyWorkspace.setCode(${JSON.stringify(file)}, ${JSON.stringify(solution)})`,
      );
      await evaluate(session, `document.querySelector('.ws-run').click()`);
      expect(await outcomeOf(session, 60_000)).toMatch(/^All \d+ tasks pass/);
      expect(
        await evaluate<number>(session, `document.querySelectorAll('iframe[src*="/grading-frame/"]').length`),
      ).toBe(1);
    } finally {
      await context.close();
    }
  });
});

describe('a page served over plain http from another computer (a classroom server), in Chromium', () => {
  it('says tests run in this page and that is fine; after code that crashed the tab, says so on reload and keeps the code', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(`http://classroom.test:${new URL(preview.url).port}${lesson}`);
      expect(await page.evaluate(() => isSecureContext)).toBe(false);
      await openEditor(page);
      const notice = page.locator('.ws-runner-notice summary');
      await notice.waitFor();
      const noticeText = (await notice.textContent()) ?? '';
      expect(noticeText).toContain('Tests run in this page, and that is fine');
      expect(noticeText).toContain('plain http from another computer');
      expect(noticeText).not.toMatch(/this browser|ad blocker/i);
      // No second name for this host: no grading frame, the Worker runs in the page.
      expect(await page.locator('iframe[src*="/grading-frame/"]').count()).toBe(0);

      const session = await context.newCDPSession(page);
      const crashed = new Promise((resolve) => page.once('crash', resolve));
      await setCode(page, file, `${starter}\n${hog}`);
      await page.getByRole('button', { name: 'Run tests' }).click();
      // Here the tab goes down with the Worker: what the grading frame spares the pages that have one.
      await crashed;

      // The learner reloads the tab (Playwright no longer drives a crashed page; DevTools does).
      await session.send('Page.reload');
      const deadline = Date.now() + 30_000;
      const openButton = `[...document.querySelectorAll('button')].find((b) => b.textContent === 'Open the editor')`;
      while (!(await evaluate<boolean>(session, `Boolean(${openButton})`).catch(() => false))) {
        if (Date.now() > deadline) throw new Error('the reloaded page has no "Open the editor" button');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Which half failed, if one does: the marker kept by the browser, or the workspace that reads it.
      const marker = await evaluate<string | null>(
        session,
        `sessionStorage.getItem('request-journey:run-in-progress')`,
      );
      expect(marker, 'the crashed run left no marker in sessionStorage').toContain('cache-aside');
      await evaluate(session, `${openButton}.click()`);
      let told = '';
      while (!told) {
        if (Date.now() > deadline + 30_000)
          throw new Error(
            `the reloaded workspace did not say the run crashed; the page shows: ${await evaluate<string>(
              session,
              `JSON.stringify({ ready: Boolean(document.querySelector('[data-editor-ready]')), bar: document.querySelector('.ws-runner-bar, .ws-runner')?.outerHTML.slice(0, 1500), marker: sessionStorage.getItem('request-journey:run-in-progress') })`,
            )}`,
          );
        told = await evaluate<string>(
          session,
          `document.querySelector('.ws-runner-crashed:not([hidden])')?.textContent ?? ''`,
        );
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(told).toContain('Your last run of this exercise crashed the page');
      expect(told).toContain('used more memory than the page can give it');
      expect(told).toContain('Your code was kept');
      while (!(await evaluate<boolean>(session, `Boolean(document.querySelector('[data-editor-ready]'))`))) {
        if (Date.now() > deadline + 60_000) throw new Error('the reloaded editor did not open');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const kept = await evaluate<Record<string, string>>(session, 'window.requestJourneyWorkspace.code()');
      expect(kept[file]).toContain(hog.trim());
    } finally {
      await context.close();
    }
  });
});
