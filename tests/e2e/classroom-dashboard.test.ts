import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import { call, dataDir, killed, type ServingCli, startClassroomCli } from '../classroom/classroom-server.ts';
import { axeViolations } from './axe.ts';
import { launchChromium } from './chromium.ts';

/** The instructor's dashboard on the real classroom server over the built site. */

let server: ServingCli;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(courseRoot, 'dist', 'index.html'))) throw new Error('run npm run build first');
  server = await startClassroomCli(dataDir(), join(courseRoot, 'dist')).serving;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (server) await killed(server.child);
});

async function openDashboard(fragment: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${server.base}/classroom/dashboard/${fragment}`);
  return page;
}

describe('the classroom dashboard', () => {
  it('follows the class live: names as text, a raised hand with its message and code, resolved; axe-clean', async () => {
    const page = await openDashboard(`#token=${server.token}`);
    await page.getByText('Live: updates as learners run their tests.').waitFor();
    // The token left the address bar (a projected screen shows the address).
    expect(page.url()).not.toContain(server.token);
    await page.locator('#join-code').getByText(server.classCode).waitFor();
    await page.getByRole('img', { name: /^QR code of http:\/\/127\.0\.0\.1:\d+\/$/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    const joined = await call(server.base, '/api/join', {
      body: { classCode: server.classCode, name: '<b>Ada</b>' },
    });
    const learnerToken = String(joined.body.learnerToken);
    await call(server.base, '/api/reports', {
      token: learnerToken,
      body: {
        reportId: 'r1',
        exercise: 'cache-aside',
        at: new Date().toISOString(),
        tasks: [{ task: 1, title: 'first', passed: false, message: 'expected <i>1</i> to be 2' }],
      },
    });
    await call(server.base, '/api/hands', {
      token: learnerToken,
      body: { exercise: 'cache-aside', task: 1, code: { 'cache.ts': '<script>alert(1)</script>' } },
    });

    const hand = page.locator('.hand');
    await hand.getByRole('heading', { name: '<b>Ada</b>' }).waitFor();
    await hand.getByText('expected <i>1</i> to be 2').waitFor();
    await hand.getByText('Shared code: cache.ts').click();
    await hand.getByText('<script>alert(1)</script>').waitFor();
    await page.getByRole('row', { name: /<b>Ada<\/b>.*failing/ }).waitFor();
    await page
      .locator('#stuck li')
      .getByText(/failing for 1 of 1$/)
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await hand.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('No hands raised.').waitFor();
  });

  it('asks for the token when it is missing or wrong', async () => {
    const page = await openDashboard('#token=not-the-token');
    await page.getByRole('alert').getByText('That token is not this server’s instructor token.').waitFor();
    await page
      .getByLabel('Dashboard address or token')
      .fill(`http://localhost/classroom/dashboard/#token=${server.token}`);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByText('Live: updates as learners run their tests.').waitFor();
  });
});
