import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import { axeViolations } from './axe.ts';
import {
  freePort,
  joinClass,
  launchRoomChromium,
  type RoomServer,
  startRoomServer,
} from './classroom.browser.ts';
import { serveDist } from './dist-server.ts';
import { newContext } from './site.browser.ts';
import { openEditor, runTests, setCode, starterAndSolution, workerPreference } from './workspace.browser.ts';

/**
 * The room end to end, on an origin that is not a secure context (plain http to a name other than
 * localhost): three learners in their own browsers join a class, grade and raise a hand; the
 * instructor's dashboard, open all along, shows it live; the server is killed and started again and nothing is lost;
 * forged and oversized reports change nothing; results made while the server is down arrive when it
 * is back.
 */

const lesson = '/lessons/caching/';
const file = 'product-cache.ts';
const exercise = 'cache-aside';
const TASKS = 5;

interface TaskResult {
  passed: boolean;
  message?: string;
  at: string;
}
interface ClassState {
  learners: Array<{
    id: string;
    name: string;
    exercises: Record<string, { tasks: Record<string, TaskResult> }>;
  }>;
  hands: Array<{ id: string; name: string; task: number; message?: string; code?: Record<string, string> }>;
}

let server: RoomServer;
let port: number;
let dataDir: string;
let browser: Browser;
let classCode: string;
const { starter, solution } = starterAndSolution(exercise, file);

async function api(path: string, init: { method?: string; token?: string; body?: string } = {}) {
  const response = await fetch(new URL(path, server.origin), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      'Content-Type': 'application/json',
      ...(init.token && { Authorization: `Bearer ${init.token}` }),
    },
    ...(init.body !== undefined && { body: init.body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const classState = async () =>
  (await api(`/api/classes/${classCode}/state`, { token: server.instructorToken }))
    .body as unknown as ClassState;

/** Polls the class state until `wanted` holds; the room's timing varies with the machine's load. */
async function stateWhere(wanted: (state: ClassState) => boolean, what: string): Promise<ClassState> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await classState();
    if (wanted(state)) return state;
    if (Date.now() > deadline) throw new Error(`the class never showed ${what}: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What the dashboard's grid shows for a learner's row: how many task cells say passed, and failing. */
function dashboardShows(dashboard: Page, name: string, passed: number, failing: number): Promise<unknown> {
  return dashboard.waitForFunction(
    ([learner, wantPassed, wantFailing]) => {
      const row = [...document.querySelectorAll('#progress tr')].find(
        (each) => each.querySelector('th[scope="row"]')?.textContent === learner,
      );
      return (
        row?.querySelectorAll('td.passed').length === wantPassed &&
        row.querySelectorAll('td.failing').length === wantFailing
      );
    },
    [name, passed, failing] as const,
    { timeout: 60_000 },
  );
}

const tasksOf = (state: ClassState, name: string) =>
  Object.values(state.learners.find((learner) => learner.name === name)?.exercises[exercise]?.tasks ?? {});
const allPass = (state: ClassState, name: string) =>
  tasksOf(state, name).length === TASKS && tasksOf(state, name).every((task) => task.passed);

async function learnerPage(): Promise<Page> {
  const context = await newContext(browser, { storage: workerPreference });
  const page = await context.newPage();
  await page.goto(`${server.roomOrigin}${lesson}`);
  await openEditor(page);
  return page;
}

const learnerToken = (page: Page) =>
  page.evaluate(
    () =>
      JSON.parse(localStorage.getItem('request-journey:v1:classroom') ?? '{}').membership
        .learnerToken as string,
  );

const waitingNote = (page: Page) => page.locator('.cl-send-status');

beforeAll(async () => {
  if (!existsSync(join(courseRoot, 'dist', 'index.html'))) {
    throw new Error('No built site in dist/: run `npm run build` before the classroom test.');
  }
  dataDir = await mkdtemp(join(tmpdir(), 'rj-classroom-e2e-'));
  port = await freePort();
  server = await startRoomServer(port, dataDir);
  browser = await launchRoomChromium();
  // The class the server made at its first start, which the dashboard shows first.
  const room = await api('/api/room', { token: server.instructorToken });
  classCode = String((room.body.classes as Array<{ code: string }>)[0]?.code);
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a workshop room over plain http', () => {
  let ada: Page;
  let grace: Page;
  let linus: Page;
  let dashboard: Page;

  it('is not a secure context, and three learners join, grade and raise a hand, live on the dashboard', async () => {
    // The instructor's dashboard is open before anyone joins: what follows must reach it without a reload.
    dashboard = await (await browser.newContext()).newPage();
    await dashboard.goto(`${server.roomOrigin}/classroom/dashboard/#token=${server.instructorToken}`);
    await dashboard.locator('#connection[data-state="live"]').waitFor({ timeout: 30_000 });
    ada = await learnerPage();
    expect(
      await ada.evaluate(() => ({
        secure: isSecureContext,
        subtle: typeof crypto.subtle,
        randomUUID: typeof crypto.randomUUID,
        serviceWorker: 'serviceWorker' in navigator,
      })),
    ).toEqual({ secure: false, subtle: 'undefined', randomUUID: 'undefined', serviceWorker: false });
    await ada.getByRole('region', { name: 'Join a class' }).waitFor();
    expect(await axeViolations(ada)).toEqual([]);
    grace = await learnerPage();
    linus = await learnerPage();
    await joinClass(ada, classCode, 'Ada');
    // Typed in lower case, as a learner copies it from the board; Join pressed twice joins once.
    await joinClass(grace, classCode.toLowerCase(), 'Grace', 'dblclick');
    await joinClass(linus, classCode, '<b>Linus</b>');
    // A name is text, never markup.
    await linus.getByRole('region', { name: 'Your class' }).getByText('<b>Linus</b>').waitFor();

    expect(await runTests(ada)).toContain(`0 of ${TASKS} tasks pass`);
    await setCode(grace, file, solution);
    expect(await runTests(grace)).toContain(`All ${TASKS} tasks pass`);
    expect(await runTests(linus)).toContain(`0 of ${TASKS} tasks pass`);
    await linus.getByLabel('Share my code with the instructor').check();
    await linus.getByRole('button', { name: 'Raise hand' }).click();
    await linus.getByText('Your hand is up for task 1, with your code').waitFor();
    expect(await axeViolations(linus)).toEqual([]);

    await dashboardShows(dashboard, 'Ada', 0, TASKS);
    await dashboardShows(dashboard, 'Grace', TASKS, 0);
    await dashboardShows(dashboard, '<b>Linus</b>', 0, TASKS);
    const hand = dashboard.locator('#hands [data-hand]');
    await hand.getByRole('heading', { name: '<b>Linus</b>' }).waitFor({ timeout: 60_000 });
    expect(await hand.getByLabel('Failing message').textContent()).toBeTruthy();
    expect(await hand.getByText(`Shared code: ${file}`).count()).toBe(1);
    // Names and messages are text on the dashboard: no element came from a learner's markup.
    expect(await dashboard.locator('#main b').count()).toBe(0);

    const { hands, learners } = await classState();
    expect(learners.map((learner) => learner.name).sort()).toEqual(['<b>Linus</b>', 'Ada', 'Grace']);
    expect(hands).toHaveLength(1);
    expect(hands[0]).toMatchObject({ task: 1, code: { [file]: starter } });
    expect(hands[0]?.message).toBeTruthy();
    expect(await waitingNote(ada).textContent()).toBe('Your results are sent to the class.');
  });

  it('refuses forged and oversized reports, and they change nothing', async () => {
    const before = await classState();
    const graceId = before.learners.find((learner) => learner.name === 'Grace')?.id;
    const failing = {
      reportId: 'forged-1',
      exercise,
      at: new Date().toISOString(),
      tasks: [{ task: 1, title: 'forged', passed: false, message: 'forged' }],
    };
    expect((await api('/api/reports', { body: JSON.stringify(failing) })).status).toBe(401);
    expect((await api('/api/reports', { token: 'made-up', body: JSON.stringify(failing) })).status).toBe(401);
    // Ada's token with Grace named in the report: the token decides who reported.
    const adaToken = await learnerToken(ada);
    const asGrace = await api('/api/reports', {
      token: adaToken,
      body: JSON.stringify({ ...failing, reportId: 'forged-2', learnerId: graceId, name: 'Grace' }),
    });
    expect([202, 400]).toContain(asGrace.status);
    const oversized = {
      ...failing,
      reportId: 'big',
      tasks: [{ ...failing.tasks[0], title: 'x'.repeat(20_000) }],
    };
    const refused = await api('/api/reports', { token: adaToken, body: JSON.stringify(oversized) });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toEqual(expect.any(String));

    const after = await classState();
    expect(allPass(after, 'Grace')).toBe(true);
    expect(after.learners.find((learner) => learner.name === 'Grace')).toEqual(
      before.learners.find((learner) => learner.name === 'Grace'),
    );
  });

  it('loses nothing when the server is killed, and results made meanwhile arrive once it is back', async () => {
    const before = await classState();
    await server.kill();

    // Grading goes on without the server; the result waits, and the learner is told.
    await setCode(ada, file, solution);
    expect(await runTests(ada)).toContain(`All ${TASKS} tasks pass`);
    await waitingNote(ada).getByText('1 result waiting to be sent').waitFor({ timeout: 30_000 });

    server = await startRoomServer(port, dataDir);
    const restarted = await classState();
    expect(restarted.hands).toEqual(before.hands);
    for (const learner of before.learners) {
      expect(restarted.learners.find((each) => each.id === learner.id)?.exercises).toEqual(learner.exercises);
    }

    // The queue's next try finds the server back.
    await stateWhere((state) => allPass(state, 'Ada'), "Ada's results from while the server was down");
    // The dashboard reconnects by itself and shows them.
    await dashboardShows(dashboard, 'Ada', TASKS, 0);
    await waitingNote(ada).getByText('Your results are sent to the class.').waitFor({ timeout: 30_000 });

    await linus.getByRole('button', { name: 'Lower hand' }).click();
    await linus.getByText('Your hand is down.').waitFor();
    await stateWhere((state) => state.hands.length === 0, 'the hand lowered');
  });
});

describe('the workspace where no classroom server serves the site', () => {
  it('shows no class panel, and asks nothing of the classroom but the one probe', async () => {
    const site = await serveDist();
    const context = await newContext(browser, { storage: workerPreference });
    try {
      const page = await context.newPage();
      const asked: string[] = [];
      page.on('request', (request) => {
        const { pathname } = new URL(request.url());
        if (pathname.startsWith('/api/')) asked.push(pathname);
      });
      await page.goto(`${site.origin}${lesson}`);
      await openEditor(page);
      expect(await runTests(page)).toContain(`0 of ${TASKS} tasks pass`);
      await page.waitForFunction(() => performance.getEntriesByName('workspace:run').length > 0);
      expect(asked).toEqual(['/api/classroom']);
      expect(await page.locator('.cl-panel').isHidden()).toBe(true);
    } finally {
      await context.close();
      await site.close();
    }
  });
});
