import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newContext, openSite } from './site.browser.ts';
import { openEditor, runTests, workerPreference } from './workspace.browser.ts';

/**
 * Screenshots of the caching lesson with its workspace open after a failing run (the starter), then
 * with task 1's hints open and with the solution shown, for people to look at (not a test): the split
 * view on two wide screens and the stacked layout on a phone.
 *   npm run build && npx tsx tests/e2e/workspace-screenshots.ts /tmp/shots
 */
const folder = process.argv[2] ?? '/tmp/request-journey-workspace-shots';
mkdirSync(folder, { recursive: true });
const site = await openSite();
try {
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 1920, height: 1080 },
    { width: 390, height: 844 },
  ]) {
    const context = await newContext(site.browser, { viewport, storage: workerPreference });
    const page = await context.newPage();
    await page.goto(site.url('/lessons/caching/'));
    await openEditor(page);
    await runTests(page);
    const name = `workspace-${viewport.width}x${viewport.height}`;
    await page.screenshot({ path: join(folder, `${name}.png`) });
    // Task 1 with its whole hints ladder open, the code-shaped hint last.
    const task = page.locator('.ws-task[data-task="1"]');
    for (const step of [/Show a hint/, /Show hint 2/, /Show hint 3/]) {
      await task.getByRole('button', { name: step }).click();
    }
    await task.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(folder, `${name}-hints.png`) });
    // The changes between the starter and the reference solution.
    await page.getByRole('button', { name: 'Show solution' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Show the solution' }).click();
    await page.getByRole('dialog').locator('ins').first().waitFor();
    await page.screenshot({ path: join(folder, `${name}-solution.png`) });
    await context.close();
  }
  console.log(`screenshots in ${folder}`);
} finally {
  await site.close();
}
