import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import { addressesToOpen } from '../../site/scripts/preview.ts';
import { openSite, type SiteUnderTest } from './site.browser.ts';
import { onFreshPage } from './site-page.ts';

/** What a newcomer meets first: the /phases/ page, and `npm run preview` for a room. */

let site: SiteUnderTest;
beforeAll(async () => {
  site = await openSite();
});
afterAll(async () => {
  await site?.close();
});

describe('/phases/', () => {
  it('is a page that links each of the three phase pages', async () => {
    await onFreshPage(site, {}, async (page) => {
      const response = await page.goto(site.url('/phases/'));
      expect(response?.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBe('The three phases');
      const phaseLinks = await page
        .locator('main h2 a')
        .evaluateAll((links) => links.map((link) => new URL((link as HTMLAnchorElement).href).pathname));
      expect(phaseLinks).toEqual(['/phases/1/', '/phases/2/', '/phases/3/']);
    });
  });
});

/**
 * Runs `npm run preview -- <args>` until it prints `until`, runs `meanwhile` against the running server,
 * then stops it; resolves with what it printed.
 */
function previewUntil(args: string[], until: RegExp, meanwhile: () => Promise<void>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'preview', '--', ...args], { cwd: courseRoot, detached: true });
    let output = '';
    let matched = false;
    const stop = () => process.kill(-(child.pid ?? 0), 'SIGTERM');
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`preview printed no ${until} in time:\n${output}`));
    }, 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (until.test(output) && !matched) {
        matched = true;
        clearTimeout(timer);
        meanwhile()
          .then(() => resolve(output), reject)
          .finally(stop);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
}

describe('npm run preview for a room', () => {
  it('--port and --host 0.0.0.0: serves there and prints the LAN addresses to open', async () => {
    const port = 4300 + Math.floor(Math.random() * 500);
    const expected = addressesToOpen('0.0.0.0', port).network;
    const output = await previewUntil(
      ['--port', String(port), '--host', '0.0.0.0'],
      /On this network, open:[\s\S]*\n\(plain http|no network address other than localhost/,
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/phases/`);
        expect(response.status).toBe(200);
      },
    );
    expect(output).toContain(`Request Journey: http://localhost:${port}/`);
    for (const address of expected) expect(output).toContain(`  ${address}`);
  }, 90_000);
});
