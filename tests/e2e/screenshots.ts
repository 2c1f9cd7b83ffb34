import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { desktop, newContext, openSite, phone } from './site.browser.ts';

/**
 * Screenshots of the built site for people to look at (not a test):
 *   npm run build && npx tsx tests/e2e/screenshots.ts /tmp/shots
 * Home, a lesson and a phase page, on a desktop and a phone, in both themes.
 */
const folder = process.argv[2] ?? '/tmp/request-journey-shots';
mkdirSync(folder, { recursive: true });
const site = await openSite();
try {
  for (const [device, viewport] of [
    ['desktop', desktop],
    ['phone', phone],
  ] as const) {
    for (const theme of ['light', 'dark'] as const) {
      const context = await newContext(site.browser, { viewport, colorScheme: theme });
      const page = await context.newPage();
      for (const [name, path] of [
        ['home', '/'],
        ['lesson', '/lessons/caching/'],
        ['phase', '/phases/3/'],
      ] as const) {
        await page.goto(site.url(path));
        await page.screenshot({ path: join(folder, `${device}-${theme}-${name}.png`) });
      }
      await context.close();
    }
  }
  console.log(`screenshots in ${folder}`);
} finally {
  await site.close();
}
