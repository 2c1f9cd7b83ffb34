import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courseRoot } from '../../engine/course/course.ts';
import {
  freePort,
  joinClass,
  launchRoomChromium,
  type RoomServer,
  startRoomServer,
} from './classroom.browser.ts';
import { newContext } from './site.browser.ts';
import { openEditor, runTests, setCode, starterAndSolution, workerPreference } from './workspace.browser.ts';

/**
 * The room end to end, on an origin that is not a secure context (plain http to a name other than
 * localhost): three learners in their own browsers join a class, grade and raise a hand; the
 * instructor's live stream shows it; the server is killed and started again and nothing is lost;
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

/**
 * The dashboard's live stream (Server-Sent Events with the instructor token), read as the dashboard
 * reads it: each event carries the class's whole state.
 */
async function liveStream() {
  const controller = new AbortController();
  const response = await fetch(
    new URL(`/api/classes/${classCode}/events?token=${server.instructorToken}`, server.origin),
    { signal: controller.signal },
  );
  if (!response.body) throw new Error('the stream has no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let events = 0;
  return {
    /** Reads events until one shows `wanted`; returns how many state events had arrived by then. */
    async until(wanted: (state: ClassState) => boolean): Promise<number> {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffered += value;
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (!data) continue;
          events += 1;
          if (wanted(JSON.parse(data))) return events;
        }
      }
    },
    close: () => controller.abort(),
  };
}

const tasksOf = (state: ClassState, name: string) =>
  Object.values(state.learners.find((learner) => learner.name === name)?.exercises[exercise]?.tasks ?? {});
const allPass = (state: ClassState, name: string) =>
  tasksOf(state, name).length === TASKS && tasksOf(state, name).every((task) => task.passed);
const allFail = (state: ClassState, name: string) =>
  tasksOf(state, name).length === TASKS && tasksOf(state, name).every((task) => !task.passed);

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
  const created = await api('/api/classes', { token: server.instructorToken, body: '{"name":"Tuesday"}' });
  classCode = String(created.body.code);
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

  it('is not a secure context, and three learners join, grade and raise a hand, live on the dashboard', async () => {
    const stream = await liveStream();
    ada = await learnerPage();
    expect(
      await ada.evaluate(() => ({
        secure: isSecureContext,
        subtle: typeof crypto.subtle,
        randomUUID: typeof crypto.randomUUID,
        serviceWorker: 'serviceWorker' in navigator,
      })),
    ).toEqual({ secure: false, subtle: 'undefined', randomUUID: 'undefined', serviceWorker: false });
    grace = await learnerPage();
    linus = await learnerPage();
    await joinClass(ada, classCode, 'Ada');
    // Typed in lower case, as a learner copies it from the board.
    await joinClass(grace, classCode.toLowerCase(), 'Grace');
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

    const events = await stream.until(
      (state) =>
        allFail(state, 'Ada') &&
        allPass(state, 'Grace') &&
        allFail(state, '<b>Linus</b>') &&
        state.hands.some((hand) => hand.name === '<b>Linus</b>'),
    );
    stream.close();
    // The stream sent the changes as they came, not one state at the end.
    expect(events).toBeGreaterThan(1);
    const { hands } = await classState();
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
    await waitingNote(ada).getByText('Your results are sent to the class.').waitFor({ timeout: 30_000 });

    await linus.getByRole('button', { name: 'Lower hand' }).click();
    await linus.getByText('Your hand is down.').waitFor();
    await stateWhere((state) => state.hands.length === 0, 'the hand lowered');
  });
});
