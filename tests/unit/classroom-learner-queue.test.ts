import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GradeReport } from '../../engine/grading/results.ts';
import type { GradeOutcome } from '../../engine/runtime/runner.ts';
import { type KeyValueStore, memoryStore } from '../../engine/runtime/storage/backend.ts';
import type { Answer, ClassroomApi, Membership, Report } from '../../site/classroom/learner-api.ts';
import {
  createReportSender,
  LearnerMemory,
  MAX_MESSAGE_CHARS,
  MAX_QUEUED,
  newReportId,
  reportOf,
} from '../../site/classroom/learner-queue.ts';

/**
 * The learner's side of the classroom without a browser: which results a run reports, and the queue that
 * keeps them while the classroom server is unreachable, drops what it refuses, and survives a reload.
 */

const exercise = {
  id: 'cache-aside',
  tasks: [
    { number: 1, title: 'Read through the cache' },
    { number: 2, title: 'Fill the cache on a miss' },
  ],
};
const membership: Membership = {
  classCode: 'K7QX2P',
  name: 'Ada',
  className: 'Tuesday',
  learnerId: 'l1',
  learnerToken: 'token-of-ada',
};

function graded(tests: GradeReport['tests'], errors: string[] = []): GradeOutcome {
  return {
    kind: 'graded',
    report: { exercise: exercise.id, runtime: 'worker', seed: 1, tests, errors },
    diagnostics: [],
  };
}

const report = (exerciseId = exercise.id): Report => ({
  reportId: newReportId(),
  exercise: exerciseId,
  at: new Date().toISOString(),
  tasks: [{ task: 1, title: 'Read through the cache', passed: true }],
});

/** A classroom server whose answers the test sets; it records what reached it. */
function fakeApi() {
  const received: Report[] = [];
  let answer: () => Answer<{ stored: boolean }> = () => ({ kind: 'ok', body: { stored: true } });
  const api: ClassroomApi = {
    join: async () => ({ kind: 'unreachable' }),
    raiseHand: async () => ({ kind: 'unreachable' }),
    lowerHand: async () => ({ kind: 'unreachable' }),
    async report(_token, sent) {
      const next = answer();
      if (next.kind === 'ok') received.push(sent);
      return next;
    },
  };
  return {
    api,
    received,
    answerWith(next: () => Answer<{ stored: boolean }>) {
      answer = next;
    },
  };
}

function joined(backend: KeyValueStore = memoryStore()): LearnerMemory {
  const memory = new LearnerMemory(backend);
  memory.update((state) => ({ ...state, membership }));
  return memory;
}

describe('what a run reports', () => {
  it('gives each task passed or failed, with the first failure cut to what the server takes', () => {
    const long = 'x'.repeat(MAX_MESSAGE_CHARS + 500);
    const sent = reportOf(
      exercise,
      graded([
        { task: 1, name: 'a hit', status: 'pass', durationMs: 1 },
        { task: 2, name: 'a miss', status: 'fail', message: long, durationMs: 1 },
      ]),
      new Date('2026-11-29T10:00:00Z'),
    );
    expect(sent).toMatchObject({
      exercise: 'cache-aside',
      at: '2026-11-29T10:00:00.000Z',
      tasks: [
        { task: 1, title: 'Read through the cache', passed: true },
        { task: 2, title: 'Fill the cache on a miss', passed: false, message: 'x'.repeat(MAX_MESSAGE_CHARS) },
      ],
    });
    expect(sent?.tasks[0]).not.toHaveProperty('message');
  });

  it('fails every task with the reason when the code did not compile or ran away', () => {
    const compile: GradeOutcome = { kind: 'compile-error', diagnostics: [], message: "';' expected" };
    expect(reportOf(exercise, compile, new Date())?.tasks.map((task) => [task.passed, task.message])).toEqual(
      [
        [false, "';' expected"],
        [false, "';' expected"],
      ],
    );
    const runaway: GradeOutcome = { kind: 'stopped', reason: 'time-limit', limitMs: 5000, message: 'loop' };
    expect(reportOf(exercise, runaway, new Date())?.tasks.every((task) => !task.passed)).toBe(true);
  });

  it('says nothing of a run the learner stopped or the grading machinery failed', () => {
    expect(reportOf(exercise, { kind: 'stopped', reason: 'learner', message: 'stopped' }, new Date())).toBe(
      undefined,
    );
    expect(reportOf(exercise, { kind: 'runner-error', message: 'worker died' }, new Date())).toBe(undefined);
  });

  it('makes distinct report ids without crypto.randomUUID (missing outside a secure context)', () => {
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    try {
      const ids = new Set(Array.from({ length: 1000 }, () => newReportId()));
      expect(ids.size).toBe(1000);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('the report queue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps results while the server is unreachable, retries with growing pauses, and sends them in order', async () => {
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'unreachable' }));
    const memory = joined();
    const sender = createReportSender(
      memory,
      server.api,
      () => {},
      () => 1,
    );
    const first = report();
    const second = report();
    sender.add(first);
    sender.add(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.status().waiting).toBe(2);

    let attempts = 0;
    server.answerWith(() => {
      attempts += 1;
      return { kind: 'unreachable' };
    });
    // Pauses double from 2 s: the tries come at 2 s, then 4 s, then 8 s later.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toBe(2);

    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    await vi.advanceTimersByTimeAsync(8_000);
    expect(server.received.map((each) => each.reportId)).toEqual([first.reportId, second.reportId]);
    expect(sender.status()).toEqual({ waiting: 0, notes: [] });
  });

  it('sends at once when a new run comes in during a pause', async () => {
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'unreachable' }));
    const sender = createReportSender(
      joined(),
      server.api,
      () => {},
      () => 1,
    );
    sender.add(report());
    await vi.advanceTimersByTimeAsync(0);
    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    sender.add(report());
    await vi.advanceTimersByTimeAsync(0);
    expect(server.received).toHaveLength(2);
  });

  it('waits as long as a busy server asks, even when new runs come in', async () => {
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'later', afterMs: 10_000 }));
    const sender = createReportSender(
      joined(),
      server.api,
      () => {},
      () => 1,
    );
    sender.add(report());
    await vi.advanceTimersByTimeAsync(0);
    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    sender.add(report());
    await vi.advanceTimersByTimeAsync(9_999);
    expect(server.received).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.received).toHaveLength(2);
  });

  it('drops a refused report with a note that says why, and sends the next', async () => {
    const server = fakeApi();
    const sender = createReportSender(
      joined(),
      server.api,
      () => {},
      () => 1,
    );
    server.answerWith(() => ({
      kind: 'refused',
      status: 400,
      error: 'The exercise no-such is not in the course.',
    }));
    sender.add(report('no-such'));
    await vi.advanceTimersByTimeAsync(0);
    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    const good = report();
    sender.add(good);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.received.map((each) => each.reportId)).toEqual([good.reportId]);
    const { waiting, notes } = sender.status();
    expect(waiting).toBe(0);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^A result of no-such from .+ was not accepted, so it was dropped: The exercise no-such/,
    );
  });

  it('keeps the results for the next join when the server no longer knows the learner', async () => {
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'refused', status: 401, error: 'Unknown learner token.' }));
    const memory = joined();
    const sender = createReportSender(
      memory,
      server.api,
      () => {},
      () => 1,
    );
    sender.add(report());
    await vi.advanceTimersByTimeAsync(0);
    expect(memory.read().membership).toBe(undefined);
    expect(sender.status().waiting).toBe(1);
    expect(sender.status().notes[0]).toContain('join the class again');

    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    memory.update((state) => ({ ...state, membership }));
    sender.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.received).toHaveLength(1);
  });

  it('keeps at most MAX_QUEUED results, dropping the oldest with a note', async () => {
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'unreachable' }));
    const sender = createReportSender(
      joined(),
      server.api,
      () => {},
      () => 1,
    );
    const reports = Array.from({ length: MAX_QUEUED + 1 }, () => report());
    for (const each of reports) sender.add(each);
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.status().waiting).toBe(MAX_QUEUED);
    expect(sender.status().notes).toEqual([
      'More results waited than this browser keeps, so the oldest one was dropped.',
    ]);
  });

  it('finds what waits after a reload, and sends it', async () => {
    const backend = memoryStore();
    const server = fakeApi();
    server.answerWith(() => ({ kind: 'unreachable' }));
    const before = createReportSender(
      joined(backend),
      server.api,
      () => {},
      () => 1,
    );
    const waiting = report();
    before.add(waiting);
    await vi.advanceTimersByTimeAsync(0);
    before.dispose();

    server.answerWith(() => ({ kind: 'ok', body: { stored: true } }));
    const after = createReportSender(
      new LearnerMemory(backend),
      server.api,
      () => {},
      () => 1,
    );
    expect(after.status().waiting).toBe(1);
    after.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.received.map((each) => each.reportId)).toEqual([waiting.reportId]);
  });
});

describe('classroom state when storage fails', () => {
  it('keeps working for the session when storage is full, and says so', () => {
    const full: KeyValueStore = {
      ...memoryStore(),
      setItem() {
        throw Object.assign(new Error('full'), { name: 'QuotaExceededError' });
      },
    };
    const memory = joined(full);
    expect(memory.failure?.kind).toBe('quota');
    expect(memory.read().membership).toEqual(membership);
    memory.update((state) => ({ ...state, queue: [report()] }));
    expect(memory.read().queue).toHaveLength(1);
  });

  it('keeps working for the session when storage cannot be read at all', () => {
    const blocked: KeyValueStore = {
      ...memoryStore(),
      getItem() {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    const memory = new LearnerMemory(blocked);
    expect(memory.read()).toEqual({ queue: [] });
    expect(memory.failure?.kind).toBe('unavailable');
    memory.update((state) => ({ ...state, membership }));
    expect(memory.read().membership).toEqual(membership);
  });

  it('starts afresh from state it cannot parse', () => {
    const memory = new LearnerMemory(memoryStore({ 'request-journey:v1:classroom': '{not json' }));
    expect(memory.read()).toEqual({ queue: [] });
    expect(memory.failure).toBe(undefined);
  });
});
