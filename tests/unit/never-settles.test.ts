import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import {
  failIfNeverSettles,
  type MacrotaskTracker,
  NeverSettledError,
  trackMacrotasks,
} from '../../engine/grading/never-settles.ts';
import {
  explainTimeout,
  neverSettledMessage,
  timedOutMessage,
  toTestResult,
} from '../../engine/grading/results.ts';

// The realm's timers, tracked on a scope of their own so this test file's own timers stay untouched.
function realm() {
  const scope = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate,
    clearImmediate: globalThis.clearImmediate,
  };
  const tracker: MacrotaskTracker = trackMacrotasks(scope);
  const nextTurn = () => new Promise<void>((resolve) => scope.setImmediate(() => resolve()));
  return { scope, tracker, nextTurn };
}

async function timed<T>(work: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([work]);
  return { ms: performance.now() - started, result: result as PromiseSettledResult<T> };
}

describe('a test whose call never settles', () => {
  it('fails at once with the course message when nothing is left to run', async () => {
    const { tracker } = realm();
    const { ms, result } = await timed(failIfNeverSettles(() => new Promise<never>(() => {}), tracker));
    expect(result).toMatchObject({ status: 'rejected', reason: expect.any(NeverSettledError) });
    expect(result.status === 'rejected' && (result.reason as Error).message).toBe(neverSettledMessage());
    expect(ms, 'judged by quiet turns and a short grace, not by a timeout').toBeLessThan(1_000);
    tracker.restore();
  });

  it('fails when the call waits on a timer only simulated time can fire, and nobody moves it', async () => {
    const { tracker } = realm();
    const clock = FakeTimers.createClock();
    const waiting = new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 1_000));
    await expect(failIfNeverSettles(() => waiting, tracker)).rejects.toThrow(NeverSettledError);
    tracker.restore();
  });

  it('lets a call finish that takes thousands of event-loop turns (a simulated server answering on each)', async () => {
    const { tracker, nextTurn } = realm();
    const longChain = async () => {
      for (let turn = 0; turn < 3_000; turn++) await nextTurn();
      return 'answered';
    };
    await expect(failIfNeverSettles(longChain, tracker, { graceMs: 0 })).resolves.toBe('answered');
    tracker.restore();
  });

  it('lets a call finish that waits on a real timer, however long it takes', async () => {
    const { scope, tracker } = realm();
    const sleeping = new Promise<string>((resolve) => scope.setTimeout(() => resolve('woke'), 300));
    await expect(failIfNeverSettles(() => sleeping, tracker, { graceMs: 0 })).resolves.toBe('woke');
    tracker.restore();
  });

  it('judges again once a real timer is cancelled and nothing else is left', async () => {
    const { scope, tracker } = realm();
    const handle = scope.setTimeout(() => {}, 60_000);
    const judged = failIfNeverSettles(() => new Promise<never>(() => {}), tracker);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tracker.pending).toBe(1);
    scope.clearTimeout(handle);
    await expect(judged).rejects.toThrow(NeverSettledError);
    tracker.restore();
  });

  it("passes the body's own result and error through", async () => {
    const { tracker } = realm();
    await expect(failIfNeverSettles(() => 7, tracker)).resolves.toBe(7);
    await expect(
      failIfNeverSettles(() => {
        throw new Error('wrong answer');
      }, tracker),
    ).rejects.toThrow('wrong answer');
    await expect(failIfNeverSettles(() => Promise.reject(new Error('rejected')), tracker)).rejects.toThrow(
      'rejected',
    );
    tracker.restore();
  });

  it('puts the original timers back', () => {
    const { scope, tracker } = realm();
    expect(scope.setTimeout).not.toBe(globalThis.setTimeout);
    tracker.restore();
    expect(scope.setTimeout).toBe(globalThis.setTimeout);
    expect(scope.setImmediate).toBe(globalThis.setImmediate);
  });
});

describe("vitest's timeout, in the course's words", () => {
  it('replaces "Test timed out in 5000ms" in every runtime\'s results', () => {
    const result = toTestResult({
      suites: ['task 1: read through the cache'],
      name: 'a miss reads PostgreSQL once',
      state: 'fail',
      errors: [
        {
          message:
            'Test timed out in 5000ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".',
        },
      ],
      durationMs: 5000,
    });
    expect(result.message).toBe(timedOutMessage(5000));
    expect(result.message).toMatch(/still running after 5 s.*schedules itself again/s);
    expect(explainTimeout('expected 1 to be 2')).toBe('expected 1 to be 2');
  });
});
