import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPreview } from '../../site/scripts/preview.ts';
import { CHROMIUM_FLAGS } from '../e2e/chromium.ts';

/**
 * Lighthouse scores (default mobile profile, with its simulated throttling) of
 * the built site's pages, as a learner's browser sees them. Needs `npm run build`
 * first and Chromium at /usr/bin/chromium (or CHROME_PATH). The README records
 * the figures; the targets are performance >= 95 and 100 for the rest.
 */
const pages = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['/', '/lessons/caching/'];
const chromeFlags = ['--headless', ...CHROMIUM_FLAGS].join(' ');

const preview = await startPreview(4397);
const outDir = mkdtempSync(join(tmpdir(), 'lighthouse-'));
try {
  for (const page of pages) {
    const output = join(outDir, 'report.json');
    // Asynchronous on purpose: the preview server answers Lighthouse from this same process.
    await promisify(execFile)(
      'npx',
      [
        'lighthouse',
        `${preview.url}${page}`,
        `--chrome-flags=${chromeFlags}`,
        '--output=json',
        `--output-path=${output}`,
        '--quiet',
      ],
      { env: { ...process.env, CHROME_PATH: process.env.CHROME_PATH ?? '/usr/bin/chromium' } },
    );
    const report = JSON.parse(readFileSync(output, 'utf8')) as {
      categories: Record<string, { title: string; score: number | null }>;
      audits: Record<string, { displayValue?: string }>;
    };
    const scores = Object.values(report.categories)
      .map((category) => `${category.title} ${Math.round((category.score ?? 0) * 100)}`)
      .join(', ');
    const lcp = report.audits['largest-contentful-paint']?.displayValue;
    const tbt = report.audits['total-blocking-time']?.displayValue;
    console.log(`${page}: ${scores} (LCP ${lcp}, TBT ${tbt})`);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
  await preview.stop();
}
