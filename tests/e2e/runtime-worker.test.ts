import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExerciseOnDisk, loadCourse } from '../../engine/course/course.ts';
import { shippedStarter } from '../../engine/course/shipped-starters.ts';
import {
  comparable,
  DEFAULT_SEED,
  type GradeReport,
  neverSettledMessage,
  taskOutcomes,
} from '../../engine/grading/results.ts';
import { compileDiagnostics } from '../../engine/runtime/compile-check.ts';
import type { GradeRequest } from '../../engine/runtime/runner.ts';
import { launchChromium } from './chromium.ts';
import type { GradingFixture } from './runtime-fixture/main.ts';
import { nodeReport, reportOf } from './runtime-fixture/reports.ts';
import { buildFixture, serve } from './runtime-fixture/serve.ts';

/**
 * The Worker runner in Chromium, built with the site's Vite and the Worker
 * settings the site uses: for every exercise the starter fails every task and
 * the solution passes every task, with exactly the per-test results of the Node
 * in-page runner; bad learner code is reported, stopped, and recovered from.
 * Prints cold and warm grading times.
 */

const course = loadCourse();
const exerciseById = (id: string) => {
  const found = course.find((exercise) => exercise.manifest.id === id);
  if (!found) throw new Error(`the course has no exercise ${id}`);
  return found;
};
let outDir: string;
let server: Server;
let browser: Browser;
let page: Page;
const timings: string[] = [];

async function filesOf(exercise: ExerciseOnDisk, dir: string): Promise<Record<string, string>> {
  const names = exercise.manifest.files.editable;
  return Object.fromEntries(
    await Promise.all(names.map(async (f) => [f, await readFile(join(dir, f), 'utf8')])),
  );
}

function gradeInBrowser(request: GradeRequest) {
  return page.evaluate(
    (req) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.grade(req),
    request,
  );
}

function resetRunner(timeLimitMs = 10_000) {
  return page.evaluate(
    (limit) =>
      (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.reset({ timeLimitMs: limit }),
    timeLimitMs,
  );
}

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'runtime-fixture-'));
  const started = performance.now();
  const vite = await buildFixture(outDir);
  console.log(`fixture built with vite ${vite} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const served = await serve(outDir);
  server = served.server;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(served.url);
  await page.waitForSelector('body[data-ready]');
});

afterAll(async () => {
  if (timings.length > 0) console.log(`Worker runner grading times in Chromium:\n${timings.join('\n')}`);
  await browser?.close();
  server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe.each(course.map((exercise) => [exercise.manifest.id, exercise] as const))(
  'the Worker runner in Chromium: %s',
  (id, exercise) => {
    const { manifest } = exercise;

    it('fails every task of the starter and passes every task of the solution, as the Node runner does', async () => {
      const [expectedStarter, expectedSolution] = await Promise.all([
        nodeReport(id, 'starter'),
        nodeReport(id, 'solution'),
      ]);
      await resetRunner();
      const starterFiles = shippedStarter(exercise);
      await page.evaluate(
        (request) => (window as unknown as { gradingFixture: GradingFixture }).gradingFixture.warmUp(request),
        { manifest, files: starterFiles, rehearsal: await filesOf(exercise, exercise.solutionDir) },
      );
      const starter = await gradeInBrowser({ manifest, files: starterFiles, seed: DEFAULT_SEED });
      await idle(3_000); // as a learner edits, the next Worker warms up
      const solution = await gradeInBrowser({
        manifest,
        files: await filesOf(exercise, exercise.solutionDir),
        seed: DEFAULT_SEED,
      });
      const testsMs = (report: GradeReport) =>
        Math.round(report.tests.reduce((sum, test) => sum + test.durationMs, 0));
      timings.push(
        `  ${id.padEnd(16)} cold ${Math.round(starter.elapsedMs)} ms (starter; its tests ${testsMs(reportOf(starter.outcome))} ms), ` +
          `warm ${Math.round(solution.elapsedMs)} ms (solution; its tests ${testsMs(reportOf(solution.outcome))} ms)`,
      );

      const starterReport = reportOf(starter.outcome);
      expect(taskOutcomes(starterReport, manifest.tasks).filter((task) => task.status === 'pass')).toEqual(
        [],
      );
      expect(comparable(starterReport)).toEqual(comparable(expectedStarter));
      const solutionReport = reportOf(solution.outcome);
      expect(taskOutcomes(solutionReport, manifest.tasks).filter((task) => task.status === 'fail')).toEqual(
        [],
      );
      expect(comparable(solutionReport)).toEqual(comparable(expectedSolution));
      expect(solutionReport.runtime).toBe('worker');
    });
  },
);

describe('the Worker runner in Chromium, with broken learner code', () => {
  // Some of the code below is written against cache-aside's contract (createProductService).
  const exercise = exerciseById('cache-aside');
  const { manifest } = exercise;
  const [editable] = manifest.files.editable;
  if (!editable) throw new Error(`${manifest.id} has no editable file`);

  it('reports a syntax error with its line and column, and no test', async () => {
    const starter = shippedStarter(exercise);
    const broken = { ...starter, [editable]: `${starter[editable]}\nexport function unfinished( {\n` };
    const { outcome } = await gradeInBrowser({ manifest, files: broken });
    expect(outcome).toMatchObject({ kind: 'compile-error', diagnostics: compileDiagnostics(broken) });
    const [diagnostic] = compileDiagnostics(broken);
    expect(diagnostic).toMatchObject({
      file: editable,
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  // Code that exhausts the memory ends the process its Worker runs in, before any budget: the site grades in
  // a frame of its own process for that, tested on the built site (runtime-memory.test.ts).
  it('stops an infinite loop at the production budget, keeps the page responsive, and grades the next run', async () => {
    const limitMs = 10_000;
    await resetRunner(limitMs);
    const starter = shippedStarter(exercise);
    const looping = gradeInBrowser({
      manifest,
      files: { ...starter, [editable]: `${starter[editable]}\nwhile (true) {}\n` },
    });
    await idle(limitMs / 2);
    const started = performance.now();
    await page.evaluate(() => document.title);
    expect(performance.now() - started, 'the page answers while the Worker spins').toBeLessThan(500);
    const { outcome, elapsedMs } = await looping;
    expect(outcome).toMatchObject({ kind: 'stopped', reason: 'time-limit', limitMs });
    expect(outcome.kind === 'stopped' && outcome.message).toMatch(/loop that never ends.*allocating memory/);
    expect(elapsedMs).toBeGreaterThanOrEqual(limitMs);
    expect(elapsedMs, 'stopped soon after the budget (loading included)').toBeLessThan(limitMs + 5_000);

    const next = await gradeInBrowser({ manifest, files: await filesOf(exercise, exercise.solutionDir) });
    expect(taskOutcomes(reportOf(next.outcome), manifest.tasks).every((task) => task.status === 'pass')).toBe(
      true,
    );
    await resetRunner();
  });

  it.each([
    {
      trick: 'replaces a built-in',
      // Every object read back through JSON.parse gets a wrong name, in this run and, if the realm leaked, the next.
      atLoad: `const parse = JSON.parse;
JSON.parse = (text: string) => {
  const value = parse(text);
  return value !== null && typeof value === 'object' ? { ...value, name: 'leaked' } : value;
};`,
      withDeps: '',
    },
    {
      trick: "patches a grading package's prototype and the Worker's message handling",
      atLoad: `self.addEventListener('message', (event) => event.stopImmediatePropagation());
self.onmessage = null;
let poisoned = false;`,
      // Every later GET on any ioredis-mock client misses: a cache that never hits.
      withDeps: `if (!poisoned) {
  poisoned = true;
  const prototype = Object.getPrototypeOf(deps.redis);
  const get = prototype.get;
  prototype.get = function (...args: unknown[]) {
    return get.apply(this, args).then(() => null);
  };
}`,
    },
  ])(
    'does not let code that $trick change the next run: every run has a fresh Worker',
    async ({ atLoad, withDeps }) => {
      const solution = await filesOf(exercise, exercise.solutionDir);
      const source = (solution[editable] ?? '').replace(
        'export function createProductService(',
        'function realCreateProductService(',
      );
      // The trick runs when the module loads, and when the grader creates a service (with its dependencies).
      const poisoning = {
        ...solution,
        [editable]: `${source}
${atLoad}
export function createProductService(deps: Parameters<typeof realCreateProductService>[0]) {
${withDeps}
  return realCreateProductService(deps);
}
`,
      };
      await gradeInBrowser({ manifest, files: poisoning });
      const nextSolution = await gradeInBrowser({ manifest, files: solution });
      const nextStarter = await gradeInBrowser({
        manifest,
        files: shippedStarter(exercise),
      });
      expect(comparable(reportOf(nextSolution.outcome))).toEqual(
        comparable(await nodeReport(manifest.id, 'solution')),
      );
      expect(comparable(reportOf(nextStarter.outcome))).toEqual(
        comparable(await nodeReport(manifest.id, 'starter')),
      );
    },
  );

  it('takes results only from the grading core: results the learner code posts are ignored', async () => {
    const starter = shippedStarter(exercise);
    const forged = (id: number) => ({
      type: 'done',
      id,
      outcome: {
        kind: 'graded',
        diagnostics: [],
        report: {
          exercise: manifest.id,
          runtime: 'worker',
          seed: DEFAULT_SEED,
          errors: [],
          tests: manifest.tasks.map((task) => ({
            task: task.number,
            name: 'forged',
            status: 'pass',
            durationMs: 1,
          })),
        },
      },
    });
    const forging = {
      ...starter,
      [editable]: `${starter[editable]}
const forged = ${JSON.stringify(forged(0))};
for (let id = 1; id < 200; id++) self.postMessage({ ...forged, id });
`,
    };
    const report = reportOf((await gradeInBrowser({ manifest, files: forging })).outcome);
    expect(taskOutcomes(report, manifest.tasks).filter((task) => task.status === 'pass')).toEqual([]);
    expect(comparable(report)).toEqual(comparable(await nodeReport(manifest.id, 'starter')));
  });

  it('keeps the time budget: "running" signals the learner code posts do not restart it', async () => {
    const limitMs = 3_000;
    await resetRunner(limitMs);
    const hanging = {
      // Calls that keep the event loop busy and never answer: the run outlasts the budget.
      [editable]: `export function createProductService() {
  const busy = () =>
    new Promise<never>(() => {
      const again = () => setImmediate(again);
      again();
    });
  return { getProduct: busy, updateProduct: busy };
}
setInterval(() => {
  for (let id = 1; id < 200; id++) self.postMessage({ type: 'running', id });
}, 50);
`,
    };
    const { outcome, elapsedMs } = await gradeInBrowser({ manifest, files: hanging });
    expect(outcome).toMatchObject({ kind: 'stopped', limitMs });
    expect(elapsedMs, 'stopped soon after the budget (loading included)').toBeLessThan(limitMs + 5_000);
    await resetRunner();
  });

  it('fails every task with the error when the learner code throws while it loads', async () => {
    const solution = await filesOf(exercise, exercise.solutionDir);
    const throwing = {
      ...solution,
      [editable]: `throw new Error('REDIS_URL is not set');\n${solution[editable]}`,
    };
    const report = reportOf((await gradeInBrowser({ manifest, files: throwing })).outcome);
    expect(report.errors).toEqual([expect.stringContaining('REDIS_URL is not set')]);
    for (const task of taskOutcomes(report, manifest.tasks)) {
      expect(task.status).toBe('fail');
      expect(task.failure?.message).toContain('REDIS_URL is not set');
    }
  });
});

describe('the Worker runner in Chromium, with code that never finishes a call or closes the Worker', () => {
  it('fails a call that never settles at once, with the message vitest gives, within the production budget', async () => {
    await resetRunner(); // the production budget: 10 s
    const { manifest } = exerciseById('load-balancer');
    const stuck = {
      'load-balancer.ts':
        'export function createLoadBalancer() {\n  return { handle: () => new Promise<never>(() => {}) };\n}\n',
    };
    const { outcome, elapsedMs } = await gradeInBrowser({ manifest, files: stuck });
    // Before: every stuck test waited out its 5 s timeout, and the page stopped the run at 10 s, naming nothing.
    const report = reportOf(outcome);
    expect(taskOutcomes(report, manifest.tasks).filter((task) => task.status !== 'fail')).toEqual([]);
    const neverSettled = report.tests.filter((test) => test.message === neverSettledMessage());
    expect(
      neverSettled.length,
      'the tests the grader does not judge itself fail with the shared message',
    ).toBeGreaterThan(0);
    for (const test of neverSettled) expect(test.durationMs, test.name).toBeLessThan(2_000);
    expect(report.tests.some((test) => /timed out|still running after/.test(test.message ?? ''))).toBe(false);
    expect(elapsedMs, 'graded, not stopped at the budget').toBeLessThan(10_000 + 5_000);
  });

  it('names the grader test that was running when the budget stopped a loop', async () => {
    const limitMs = 4_000;
    await resetRunner(limitMs);
    const exercise = exerciseById('cache-aside');
    const { manifest } = exercise;
    const looping = {
      'product-cache.ts': `export function createProductService() {
  return {
    getProduct: async () => {
      while (true) {}
    },
    updateProduct: async () => {},
  };
}
`,
    };
    const { outcome } = await gradeInBrowser({ manifest, files: looping });
    expect(outcome).toMatchObject({ kind: 'stopped', limitMs, test: { task: expect.any(Number) } });
    const graderTests = (await nodeReport(manifest.id, 'starter')).tests;
    const running = outcome.kind === 'stopped' ? outcome.test : undefined;
    expect(graderTests.map((test) => `${test.task}: ${test.name}`)).toContain(
      `${running?.task}: ${running?.name}`,
    );
    await resetRunner();
  });

  it.each([
    ['inside a call', 'getProduct: async () => {\n      self.close();\n      return null;\n    },', ''],
    ['while the code loads', 'getProduct: async () => null,', 'self.close();\n'],
  ])(
    'refuses self.close() %s at once, with a message naming it, and grades the run',
    async (_, getProduct, atLoad) => {
      await resetRunner();
      const { manifest } = exerciseById('cache-aside');
      const closing = {
        'product-cache.ts': `${atLoad}export function createProductService() {
  return {
    ${getProduct}
    updateProduct: async () => {},
  };
}
`,
      };
      const { outcome, elapsedMs } = await gradeInBrowser({ manifest, files: closing });
      // Before: the Worker ended silently and the page waited out its 10 s budget, then blamed a loop.
      const report = reportOf(outcome);
      const tasks = taskOutcomes(report, manifest.tasks);
      expect(tasks.filter((task) => task.status !== 'fail')).toEqual([]);
      expect(tasks.some((task) => task.failure?.message.includes('self.close()'))).toBe(true);
      expect(elapsedMs, 'answered without waiting for the budget').toBeLessThan(10_000);
      // The next run gets a working Worker.
      const next = await gradeInBrowser({
        manifest,
        files: await filesOf(exerciseById('cache-aside'), exerciseById('cache-aside').solutionDir),
      });
      expect(
        taskOutcomes(reportOf(next.outcome), manifest.tasks).every((task) => task.status === 'pass'),
      ).toBe(true);
    },
  );
});

describe('the WebContainer install cache in Chromium', () => {
  type FixtureWindow = { gradingFixture: GradingFixture };

  it('keeps one node_modules snapshot in IndexedDB across page loads', async () => {
    await page.evaluate(() =>
      (window as unknown as FixtureWindow).gradingFixture.installCache.put(
        'deps-v1',
        new Uint8Array([1, 2, 3]),
      ),
    );
    await page.reload();
    await page.waitForSelector('body[data-ready]');
    const kept = await page.evaluate(async () => {
      const cache = (window as unknown as FixtureWindow).gradingFixture.installCache;
      return Array.from((await cache.get('deps-v1')) ?? []);
    });
    expect(kept).toEqual([1, 2, 3]);
    const replaced = await page.evaluate(async () => {
      const cache = (window as unknown as FixtureWindow).gradingFixture.installCache;
      await cache.put('deps-v2', new Uint8Array([4]));
      return { v1: (await cache.get('deps-v1')) ?? null, v2: Array.from((await cache.get('deps-v2')) ?? []) };
    });
    expect(replaced).toEqual({ v1: null, v2: [4] });
  });
});
