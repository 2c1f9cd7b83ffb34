import FakeTimers from '@sinonjs/fake-timers';
import { inject } from 'vitest';
import type { Backends } from './backends';

/**
 * A fake wall clock for graders. Only `Date` is faked: timers stay real so that
 * pg-mem (which resolves queries through setImmediate/setTimeout) keeps working,
 * while ioredis-mock, which reads Date.now() to expire keys, sees simulated time.
 * Uses @sinonjs/fake-timers directly so it behaves the same in every runtime.
 */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
  restore(): void;
}

export const CLOCK_START = Date.UTC(2026, 0, 1, 9, 0, 0);

/**
 * Where fake time starts: a fixed instant with the simulations (every run alike);
 * the real time when the grader talks to real servers, so that absolute times the
 * code under test computes from Date.now() (EXPIREAT, a timestamp it writes)
 * agree with the clocks of Redis and PostgreSQL.
 */
function fakeClockStart(): number {
  const real = (inject('backends') as Backends | undefined) ?? {};
  return Object.keys(real).length > 0 ? Date.now() : CLOCK_START;
}

export function installFakeClock(start = fakeClockStart()): FakeClock {
  const clock = FakeTimers.withGlobal(globalThis).install({ now: start, toFake: ['Date'] });
  return {
    now: () => clock.now,
    advance: (ms) => {
      clock.setSystemTime(clock.now + ms);
    },
    restore: () => clock.uninstall(),
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
