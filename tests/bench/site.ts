import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { newContext, openSite, type SiteUnderTest } from '../e2e/site.browser.ts';
import { openEditor, runTests, setCode, workerPreference } from '../e2e/workspace.browser.ts';

/**
 * What a learner waits for on a lesson page with an exercise, measured on the
 * built site (`npm run build` first) in Chromium: the JavaScript and CSS a
 * lesson costs before the editor is requested (gzip), how long the editor
 * takes to become usable after "Open the editor" (and until TypeScript reports
 * errors), and how long "Run tests" takes with the Worker runner, cold (the
 * first run, clicked as soon as the workspace appears) and warm. Then the same
 * once the page has prepared the editor ahead (site/workspace/boot.ts: the
 * pointer came near the button): the editor after the click, and the first
 * run. Prints the figures; the README records them.
 * `npx tsx tests/bench/site.ts [runs]`.
 */

const runs = Number(process.argv[2] ?? 5);
const lesson = '/lessons/caching/';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ms = (value: number) => `${Math.round(value)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function freshPage(site: SiteUnderTest): Promise<Page> {
  const context = await newContext(site.browser, { storage: workerPreference });
  return context.newPage();
}

/** Every script and stylesheet the lesson loads before anyone asks for the editor, gzipped one by one. */
async function bytesBeforeEditor(site: SiteUnderTest): Promise<{ js: number; css: number; files: number }> {
  const page = await freshPage(site);
  const bodies: Array<Promise<{ type: string; size: number }>> = [];
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    bodies.push(response.body().then((body) => ({ type, size: gzipSync(body).length })));
  });
  await page.goto(site.url(lesson), { waitUntil: 'networkidle' });
  // Inline scripts and styles count too.
  const inline = await page.evaluate(() => ({
    js: [...document.querySelectorAll('script:not([src])')]
      .map((script) => script.textContent ?? '')
      .join('\n'),
    css: [...document.querySelectorAll('style')].map((style) => style.textContent ?? '').join('\n'),
  }));
  const loaded = await Promise.all(bodies);
  await page.context().close();
  const sum = (type: string) =>
    loaded.filter((file) => file.type === type).reduce((total, file) => total + file.size, 0);
  return {
    js: sum('script') + gzipSync(inline.js).length,
    css: sum('stylesheet') + gzipSync(inline.css).length,
    files: loaded.length,
  };
}

/** Clicks "Open the editor" with no sign of intent before it (no pointer, no scroll): nothing was prepared. */
async function openUnprepared(page: Page): Promise<void> {
  await page.evaluate(() => document.querySelector<HTMLElement>('[data-workspace-open]')?.click());
  await page.locator('[data-workspace-root][data-editor-ready]').waitFor({ timeout: 60_000 });
}

/** From the click on "Open the editor" to the editor accepting input, and to TypeScript's first error marker. */
async function editorTimes(site: SiteUnderTest): Promise<{ usable: number; typeErrors: number }> {
  const page = await freshPage(site);
  await page.goto(site.url(lesson), { waitUntil: 'networkidle' });
  await openUnprepared(page);
  const usable = await page.evaluate(
    () => performance.measure('bench:editor', 'workspace:open', 'workspace:editor-ready').duration,
  );
  await setCode(page, 'product-cache.ts', 'const answer: number = "forty-two";\n');
  await page.waitForFunction(
    () =>
      (window.requestJourneyWorkspace?.errorMarkers() ?? []).some((marker) => marker.owner === 'typescript'),
    undefined,
    { polling: 20, timeout: 60_000 },
  );
  const typeErrors = await page.evaluate(
    () => performance.now() - (performance.getEntriesByName('workspace:open')[0]?.startTime ?? 0),
  );
  await page.context().close();
  return { usable, typeErrors };
}

interface RunTime {
  /** "Run tests" clicked to the runner's outcome. */
  graded: number;
  /** "Run tests" clicked to the results on screen (and progress saved). */
  shown: number;
}

/** "Run tests" to results: the first run clicked as soon as the workspace shows, then warm runs. */
const lastRun = (page: Page): Promise<RunTime> =>
  page.evaluate(() => ({
    graded: performance.getEntriesByName('workspace:grade', 'measure').at(-1)?.duration ?? Number.NaN,
    shown: performance.getEntriesByName('workspace:run', 'measure').at(-1)?.duration ?? Number.NaN,
  }));

async function gradeTimes(site: SiteUnderTest): Promise<{ cold: RunTime; warm: RunTime[] }> {
  const page = await freshPage(site);
  await page.goto(site.url(lesson), { waitUntil: 'networkidle' });
  await page.evaluate(() => document.querySelector<HTMLElement>('[data-workspace-open]')?.click());
  await page.getByRole('button', { name: 'Run tests' }).waitFor();
  await runTests(page, 60_000);
  const cold = await lastRun(page);
  await page.locator('[data-workspace-root][data-editor-ready]').waitFor();
  const warm: RunTime[] = [];
  for (let i = 0; i < runs; i++) {
    // Let the runner start its next Worker, as a learner's pause between runs would.
    await page.waitForTimeout(1_000);
    await runTests(page);
    warm.push(await lastRun(page));
  }
  await page.context().close();
  return { cold, warm };
}

/**
 * The learner's pointer comes near the button, the page prepares the editor and a grading Worker
 * (until `leadMs` later, or until prepared when no lead is given), then the learner clicks "Open the editor"
 * and, as soon as the editor takes input, "Run tests".
 */
async function preparedTimes(
  site: SiteUnderTest,
  leadMs?: number,
): Promise<{ usable: number; first: RunTime }> {
  const page = await freshPage(site);
  await page.goto(site.url(lesson), { waitUntil: 'networkidle' });
  const button = page.getByRole('button', { name: 'Open the editor' });
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  if (!box) throw new Error('the button is not shown');
  await page.mouse.move(Math.max(0, box.x - 100), box.y + box.height / 2);
  if (leadMs === undefined) {
    await page.waitForFunction(
      () => performance.getEntriesByName('workspace:prepared').length > 0,
      undefined,
      {
        timeout: 60_000,
      },
    );
  } else {
    await page.waitForTimeout(leadMs);
  }
  await openEditor(page);
  const usable = await page.evaluate(
    () => performance.measure('bench:editor', 'workspace:open', 'workspace:editor-ready').duration,
  );
  await runTests(page, 60_000);
  const first = await lastRun(page);
  await page.context().close();
  return { usable, first };
}

const describeRuns = (times: RunTime[]) =>
  `median ${ms(median(times.map((t) => t.shown)))} to results shown ` +
  `(${ms(median(times.map((t) => t.graded)))} grading; min ${ms(Math.min(...times.map((t) => t.shown)))}, ` +
  `max ${ms(Math.max(...times.map((t) => t.shown)))}, ${times.length} runs)`;

const site = await openSite();
try {
  const bytes = await bytesBeforeEditor(site);
  console.log(
    `lesson page before the editor is requested: ${kb(bytes.js)} JS, ${kb(bytes.css)} CSS (gzip, ${bytes.files} files)`,
  );
  const editors: Array<{ usable: number; typeErrors: number }> = [];
  for (let i = 0; i < Math.min(runs, 3); i++) editors.push(await editorTimes(site));
  console.log(
    `editor usable after "Open the editor": median ${ms(median(editors.map((e) => e.usable)))}; ` +
      `first type error shown: median ${ms(median(editors.map((e) => e.typeErrors)))} (${editors.length} runs)`,
  );
  const colds: RunTime[] = [];
  const warms: RunTime[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const { cold, warm } = await gradeTimes(site);
    colds.push(cold);
    warms.push(...warm);
  }
  console.log(`"Run tests", Worker runner, cold: ${describeRuns(colds)}`);
  console.log(`"Run tests", Worker runner, warm: ${describeRuns(warms)}`);
  for (const [label, leadMs] of [
    ['prepared before the click', undefined],
    ['clicked 300 ms after the pointer came near', 300],
  ] as const) {
    const prepared: Array<{ usable: number; first: RunTime }> = [];
    for (let i = 0; i < Math.min(runs, 5); i++) prepared.push(await preparedTimes(site, leadMs));
    console.log(
      `${label}: editor usable after the click: median ${ms(median(prepared.map((p) => p.usable)))} ` +
        `(min ${ms(Math.min(...prepared.map((p) => p.usable)))}, max ${ms(Math.max(...prepared.map((p) => p.usable)))}); ` +
        `first "Run tests": ${describeRuns(prepared.map((p) => p.first))}`,
    );
  }
} finally {
  await site.close();
}
