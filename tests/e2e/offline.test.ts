import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS } from './chromium.ts';
import { type DistServer, serveDist } from './dist-server.ts';
import { newContext, openSite, type SiteUnderTest } from './site.browser.ts';
import { openEditor, runTests, taskStates } from './workspace.browser.ts';

/**
 * The course after one visit, with the network gone (site/offline/): the
 * service worker has precached every page, the editor, the grading Worker and
 * its course files, and the lesson pages it serves keep their cross-origin
 * isolation. Over plain http from another machine (no secure context, no
 * service worker) the site works as before.
 */

const firstResult = async (page: Page) => {
  await openEditor(page);
  const summary = await runTests(page, 60_000);
  return { summary, states: await taskStates(page) };
};

describe('after one visit', () => {
  let site: SiteUnderTest;
  beforeAll(async () => {
    site = await openSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it('opens another lesson, its editor and its tests with the network cut', async () => {
    const context = await newContext(site.browser, { serviceWorkers: 'allow' });
    try {
      const page = await context.newPage();
      await page.goto(site.url('/'));
      // The first visit installs the worker, which precaches the course and takes over the page.
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {
          await new Promise((resolve) =>
            navigator.serviceWorker.addEventListener('controllerchange', resolve),
          );
        }
      });

      await context.setOffline(true);
      await page.goto(site.url('/lessons/caching/'));
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
      // Served from the cache with COOP and COEP: the page is still isolated, as a WebContainer needs.
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      const { summary, states } = await firstResult(page);
      expect(summary).toContain('0 of 5 tasks pass');
      expect(states).toHaveLength(5);
      expect(states.every((state) => state === 'fail')).toBe(true);

      // Without the trailing slash, the same cached page.
      await page.goto(site.url('/lessons/load-balancing'));
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await page.getByRole('button', { name: 'Open the editor' }).count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});

describe('over plain http from another machine', () => {
  // Not the preview server: it refuses host names it does not know (Vite's protection against DNS rebinding).
  let server: DistServer;
  beforeAll(async () => {
    server = await serveDist();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('registers no service worker and still opens the editor and grades', async () => {
    // classroom.test is this machine under another name: http to it is not a secure context.
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP classroom.test 127.0.0.1'],
    });
    try {
      const context = await newContext(browser, { serviceWorkers: 'allow' });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const { port } = new URL(server.origin);
      await page.goto(`http://classroom.test:${port}/lessons/caching/`, { waitUntil: 'load' });
      expect(await page.evaluate(() => [isSecureContext, 'serviceWorker' in navigator])).toEqual([
        false,
        false,
      ]);
      const { summary } = await firstResult(page);
      expect(summary).toContain('0 of 5 tasks pass');
      expect(await page.locator('[data-update-prompt]').isHidden()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
