import FakeTimers from '@sinonjs/fake-timers';
import { inject } from 'vitest';
import type { Backends } from './backends';

/**
 * Simulated time for graders. On the simulations `Date` and the timers
 * (setTimeout, setInterval and their clears) are faked, so code under test that
 * waits, batches or retries on a timer runs in simulated time: a timer fires
 * when the grader moves the clock past it (or, with zero delay, when `settle()`
 * lets the event loop run), never after a real wait. setImmediate and
 * microtasks stay real: pg-mem answers queries through them. ioredis-mock reads
 * Date.now() to expire keys, so it sees simulated time too.
 *
 * Against real servers only `Date` is faked: their clients need real timers.
 * Uses @sinonjs/fake-timers directly so it behaves the same in every runtime.
 */
export interface FakeClock {
  now(): number;
  /** Moves simulated time forward, firing every timer that falls due on the way. */
  advance(ms: number): void;
  restore(): void;
}

export const CLOCK_START = Date.UTC(2026, 0, 1, 9, 0, 0);

const realServers = () => Object.keys((inject('backends') as Backends | undefined) ?? {}).length > 0;

/**
 * Where fake time starts: a fixed instant with the simulations (every run alike);
 * the real time when the grader talks to real servers, so that absolute times the
 * code under test computes from Date.now() (EXPIREAT, a timestamp it writes)
 * agree with the clocks of Redis and PostgreSQL.
 */
function fakeClockStart(): number {
  return realServers() ? Date.now() : CLOCK_START;
}

const TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;

/** The clock installed now, for settle(): it fires zero-delay timers while the event loop runs. */
let current: { fireDue(): boolean } | undefined;

/**
 * Fires the timers due at the current simulated time. True when any fired or was
 * scheduled since the last call: the code under test is still busy.
 */
export function fireDueTimers(): boolean {
  return current?.fireDue() ?? false;
}

export function installFakeClock(start = fakeClockStart()): FakeClock {
  const fakeTimers = !realServers();
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: start,
    toFake: fakeTimers ? ['Date', ...TIMERS] : ['Date'],
  });
  // Count scheduling, so settle() can tell a timer chain (each timer setting the next) from quiet.
  let scheduled = 0;
  if (fakeTimers) {
    const { setTimeout: fakeTimeout, setInterval: fakeInterval } = globalThis;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      scheduled++;
      return fakeTimeout(...args);
    }) as typeof setTimeout;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      scheduled++;
      return fakeInterval(...args);
    }) as typeof setInterval;
  }
  const installed = {
    fireDue: () => {
      const pending = clock.countTimers();
      clock.tick(0);
      const busy = scheduled > 0 || clock.countTimers() !== pending;
      scheduled = 0;
      return busy;
    },
  };
  current = installed;
  return {
    now: () => clock.now,
    advance: (ms) => {
      if (fakeTimers) clock.tick(ms);
      else clock.setSystemTime(clock.now + ms);
    },
    restore: () => {
      if (current === installed) current = undefined;
      clock.uninstall();
    },
  };
}

/** A clock that only exists for the code it is handed to (no globals touched). */
export function manualClock(start = CLOCK_START) {
  let current = start;
  return {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}
