import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenBuckets } from '../../engine/classroom/rate-limit.ts';
import { type RunningClassroom, startClassroomServer } from '../../engine/classroom/server.ts';
import { builtSite, call, course, dataDir, report } from './classroom-server.ts';

let server: RunningClassroom;
let base: string;
let classCode: string;
let clock = 0;

beforeEach(async () => {
  clock = 0;
  server = await startClassroomServer({
    dataDir: dataDir(),
    siteDir: builtSite(),
    course,
    port: 0,
    // The real limits, on a clock the tests move.
    rateLimit: tokenBuckets({ perMinute: 20, burst: 5 }, () => clock),
    warn: () => {},
  });
  base = server.url;
  [classCode = ''] = server.classroom.classCodes();
});
afterEach(() => server.close());

const instructor = () => server.instructorToken;
const state = async () =>
  (await call(base, `/api/classes/${classCode}/state`, { token: instructor() })).body as {
    learners: {
      id: string;
      name: string;
      exercises: Record<string, { tasks: Record<string, { passed: boolean }> }>;
    }[];
    hands: { id: string; message?: string; code?: Record<string, string> }[];
    stuck: { exercise: string; task: number; failing: number; of: number }[];
  };

async function join(name = 'Ada') {
  const answer = await call(base, '/api/join', { body: { classCode, name } });
  expect(answer.status).toBe(201);
  return answer.body as { learnerId: string; learnerToken: string; className: string };
}

describe('the classroom API', () => {
  it('says it is a classroom server', async () => {
    expect((await call(base, '/api/classroom')).body).toEqual({ classroom: true, version: 1 });
  });

  it('creates one class at first start with a 6-character code without look-alike characters', () => {
    expect(classCode).toMatch(/^[A-HJKMNP-Z2-9]{6}$/);
  });

  it('stores a report and shows it in the class state; a repeated reportId is a duplicate', async () => {
    const ada = await join();
    const sent = report();
    expect(await call(base, '/api/reports', { token: ada.learnerToken, body: sent })).toMatchObject({
      status: 202,
      body: { stored: true },
    });
    expect((await call(base, '/api/reports', { token: ada.learnerToken, body: sent })).body).toEqual({
      stored: false,
      duplicate: true,
    });
    const { learners, stuck } = await state();
    expect(learners).toHaveLength(1);
    expect(learners[0]?.exercises['cache-aside']?.tasks).toMatchObject({
      1: { passed: true },
      2: { passed: false },
    });
    expect(stuck).toEqual([{ exercise: 'cache-aside', task: 2, failing: 1, of: 1 }]);
  });

  it('keeps the newer result when an older queued report arrives late', async () => {
    const ada = await join();
    const passing = { task: 2, title: 'Expire entries', passed: true };
    await call(base, '/api/reports', {
      token: ada.learnerToken,
      body: report({ at: '2026-11-29T10:05:00Z', tasks: [passing] }),
    });
    await call(base, '/api/reports', {
      token: ada.learnerToken,
      body: report({ at: '2026-11-29T10:00:00Z' }),
    });
    expect((await state()).learners[0]?.exercises['cache-aside']?.tasks[2]?.passed).toBe(true);
  });

  it('stores a name with HTML in it as given', async () => {
    await join('<img src=x onerror=alert(1)>');
    expect((await state()).learners[0]?.name).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('refusals change nothing', () => {
  it('refuses an unknown class code with 404', async () => {
    const answer = await call(base, '/api/join', { body: { classCode: 'ZZZZZZ', name: 'Ada' } });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatch(/no class with the code "ZZZZZZ"/);
  });

  it.each([
    ['an empty name', { name: '  ' }],
    ['a name over 40 characters', { name: 'x'.repeat(41) }],
    ['a missing class code', { classCode: undefined }],
  ])('refuses a join with %s (400)', async (_, change) => {
    const answer = await call(base, '/api/join', { body: { classCode, name: 'Ada', ...change } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^The request is not valid: /);
    expect((await state()).learners).toEqual([]);
  });

  it('refuses malformed JSON with 400', async () => {
    const ada = await join();
    const answer = await call(base, '/api/reports', { token: ada.learnerToken, raw: '{"reportId": ' });
    expect(answer).toMatchObject({
      status: 400,
      body: { error: 'The request body is not JSON; nothing was stored.' },
    });
  });

  it.each([
    ['an unknown exercise', { exercise: 'no-such-exercise' }, /no exercise "no-such-exercise"/],
    [
      'a task the exercise does not have',
      { tasks: [{ task: 9, title: 'x', passed: true }] },
      /has no task 9/,
    ],
    [
      'a message over 2000 characters',
      { tasks: [{ task: 1, title: 'x', passed: false, message: 'm'.repeat(2001) }] },
      /at most 2000/,
    ],
    ['no tasks', { tasks: [] }, /at least one task/],
    ['a time that is not a time', { at: 'yesterday' }, /ISO date/],
    ['a passed that is not a boolean', { tasks: [{ task: 1, title: 'x', passed: 'yes' }] }, /passed/],
  ])('refuses a report with %s (400)', async (_, change, error) => {
    const ada = await join();
    const answer = await call(base, '/api/reports', { token: ada.learnerToken, body: report(change) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(error);
    expect((await state()).learners[0]?.exercises).toEqual({});
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const ada = await join();
    const answer = await call(base, '/api/reports', {
      token: ada.learnerToken,
      body: report({ padding: 'x'.repeat(17 * 1024) }),
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/too large/);
    expect((await state()).learners[0]?.exercises).toEqual({});
  });

  it('refuses a report without a learner token, or with a made-up one (401)', async () => {
    await join();
    expect((await call(base, '/api/reports', { body: report() })).status).toBe(401);
    expect((await call(base, '/api/reports', { token: 'forged', body: report() })).status).toBe(401);
    expect((await state()).learners[0]?.exercises).toEqual({});
  });

  it('files a report under the token’s learner whatever learner the body names', async () => {
    const ada = await join('Ada');
    const grace = await join('Grace');
    const forged = report({ learnerId: grace.learnerId });
    expect((await call(base, '/api/reports', { token: ada.learnerToken, body: forged })).status).toBe(202);
    const { learners } = await state();
    expect(learners.find((learner) => learner.name === 'Grace')?.exercises).toEqual({});
    expect(learners.find((learner) => learner.name === 'Ada')?.exercises['cache-aside']).toBeDefined();
  });

  it('rate limits each browser: a burst of 5, then 429 with Retry-After; another browser is unaffected', async () => {
    const ada = await join('Ada');
    const grace = await join('Grace');
    for (let sent = 0; sent < 5; sent++) {
      expect((await call(base, '/api/reports', { token: ada.learnerToken, body: report() })).status).toBe(
        202,
      );
    }
    const refused = await call(base, '/api/reports', { token: ada.learnerToken, body: report() });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBe(3);
    expect((await call(base, '/api/reports', { token: grace.learnerToken, body: report() })).status).toBe(
      202,
    );
    clock += 3000;
    expect((await call(base, '/api/reports', { token: ada.learnerToken, body: report() })).status).toBe(202);
  });

  it('keeps instructor endpoints behind the instructor token (401)', async () => {
    const ada = await join();
    for (const path of [
      `/api/classes/${classCode}/state`,
      `/api/classes/${classCode}/results.csv`,
      '/api/room',
    ]) {
      expect((await call(base, path)).status).toBe(401);
      expect((await call(base, path, { token: ada.learnerToken })).status).toBe(401);
    }
    expect(
      (await call(base, '/api/classes', { token: ada.learnerToken, body: { name: 'Mine' } })).status,
    ).toBe(401);
    expect(server.classroom.classCodes()).toHaveLength(1);
  });

  it('answers an unknown class on an instructor endpoint with 404, an unknown API path with 404, a wrong method with 405', async () => {
    expect((await call(base, '/api/classes/ABCDEF/state', { token: instructor() })).status).toBe(404);
    expect((await call(base, '/api/nothing')).status).toBe(404);
    expect((await call(base, '/api/join')).status).toBe(405);
  });
});

describe('raised hands', () => {
  it('carries the failing message of the last run and the code the learner shared, as text', async () => {
    const ada = await join();
    await call(base, '/api/reports', { token: ada.learnerToken, body: report() });
    const code = { 'cache.ts': 'export const x = "<script>alert(1)</script>";' };
    const raised = await call(base, '/api/hands', {
      token: ada.learnerToken,
      body: { exercise: 'cache-aside', task: 2, code },
    });
    expect(raised.status).toBe(201);
    const again = await call(base, '/api/hands', {
      token: ada.learnerToken,
      body: { exercise: 'cache-aside', task: 2 },
    });
    expect(again.body.handId).toBe(raised.body.handId);
    expect((await state()).hands).toMatchObject([
      { id: raised.body.handId, message: 'expected 2 to be 1', code },
    ]);
  });

  it('refuses shared code over 16 KiB (413) and a hand on an unknown task (400)', async () => {
    const ada = await join();
    const big = { 'cache.ts': 'x'.repeat(17 * 1024) };
    const answer = await call(base, '/api/hands', {
      token: ada.learnerToken,
      body: { exercise: 'cache-aside', task: 1, code: big },
    });
    expect(answer.status).toBe(413);
    expect(
      (
        await call(base, '/api/hands', {
          token: ada.learnerToken,
          body: { exercise: 'cache-aside', task: 7 },
        })
      ).status,
    ).toBe(400);
    expect((await state()).hands).toEqual([]);
  });

  it('is lowered by its learner or the instructor, not by another learner', async () => {
    const ada = await join('Ada');
    const grace = await join('Grace');
    const { body } = await call(base, '/api/hands', {
      token: ada.learnerToken,
      body: { exercise: 'cache-aside', task: 1 },
    });
    const path = `/api/hands/${body.handId}`;
    expect((await call(base, path, { method: 'DELETE', token: grace.learnerToken })).status).toBe(403);
    expect((await call(base, path, { method: 'DELETE' })).status).toBe(401);
    expect((await state()).hands).toHaveLength(1);
    expect((await call(base, path, { method: 'DELETE', token: instructor() })).body).toEqual({
      lowered: true,
    });
    expect((await call(base, path, { method: 'DELETE', token: ada.learnerToken })).status).toBe(404);
    expect((await state()).hands).toEqual([]);
  });
});

describe('instructor', () => {
  it('creates another class', async () => {
    const created = await call(base, '/api/classes', { token: instructor(), body: { name: 'Afternoon' } });
    expect(created.status).toBe(201);
    expect(server.classroom.classCodes()).toContain(created.body.code);
  });

  it('exports results as CSV with formula-looking names defused', async () => {
    const ada = await join('=HYPERLINK("http://evil")');
    await call(base, '/api/reports', { token: ada.learnerToken, body: report() });
    const response = await fetch(`${base}/api/classes/${classCode}/results.csv`, {
      headers: { Authorization: `Bearer ${instructor()}` },
    });
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, row] = (await response.text()).replace(/^\uFEFF/, '').split('\r\n');
    expect(header).toBe(
      'name,joined,last seen,tasks passed,cache-aside 1: Read through the cache,cache-aside 2: Expire entries,rate-limiter 1: Count requests',
    );
    expect(row).toMatch(/^"'=HYPERLINK\(""http:\/\/evil""\)",[^,]+,[^,]+,1,passed,failing,$/);
  });

  it('imports progress export files as learners, all or nothing', async () => {
    const file = (passedTasks: number[]) => ({
      format: 'request-journey-progress',
      schemaVersion: 1,
      exportedAt: '2026-11-28T16:00:00.000Z',
      lessons: {},
      exercises: { 'cache-aside': { files: {}, passedTasks, hintsRevealed: {} } },
      preferences: { runner: 'auto' },
    });
    const path = `/api/classes/${classCode}/import`;
    const refused = await call(base, path, {
      token: instructor(),
      body: [file([1]), { name: 'Bad', file: { format: 'other' } }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^File 2 \(Bad\) is not a Request Journey progress export/);
    expect((await state()).learners).toEqual([]);

    const imported = await call(base, path, {
      token: instructor(),
      body: [{ name: 'Ada', file: file([1, 2]) }, file([])],
    });
    expect(imported).toMatchObject({ status: 201, body: { imported: 2 } });
    const { learners } = await state();
    expect(learners.map((learner) => learner.name)).toEqual(['Ada', 'Imported learner 2']);
    expect(learners[0]?.exercises['cache-aside']?.tasks).toMatchObject({
      1: { passed: true },
      2: { passed: true },
    });
    expect(learners[1]?.exercises).toEqual({});
  });

  it('streams the class state to the dashboard, and again after a change', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/classes/${classCode}/events?token=${instructor()}`, {
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const nextState = async () => {
      while (!/event: state\ndata: [^\n]*\n\n/.test(received)) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) throw new Error('the stream ended');
        received += chunk.value;
      }
      const [event = '', data = ''] = /event: state\ndata: ([^\n]*)\n\n/.exec(received) ?? [];
      received = received.slice(received.indexOf(event) + event.length);
      return JSON.parse(data) as { learners: unknown[] };
    };
    expect((await nextState()).learners).toEqual([]);
    await join('Ada');
    expect((await nextState()).learners).toHaveLength(1);
    controller.abort();
  });
});

describe('the built site', () => {
  it('serves pages with their content types and no cross-origin isolation headers', async () => {
    const home = await fetch(`${base}/`);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('cross-origin-embedder-policy')).toBeNull();
    const lesson = await fetch(`${base}/lessons/caching/`);
    expect(await lesson.text()).toContain('Caching');
    expect(lesson.headers.get('cross-origin-opener-policy')).toBeNull();
    const asset = await fetch(`${base}/_astro/page.abc123.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('redirects a folder to its trailing slash, answers 404 with the site’s page, and stays inside the site', async () => {
    const folder = await fetch(`${base}/lessons/caching`, { redirect: 'manual' });
    expect(folder.status).toBe(301);
    expect(folder.headers.get('location')).toBe('/lessons/caching/');
    const missing = await fetch(`${base}/nowhere/`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Not found');
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});
