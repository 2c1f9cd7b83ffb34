/**
 * A grader test whose awaited call can never finish fails at once, in every
 * runtime, with the same words, instead of waiting out a timeout.
 *
 * On the simulations nothing waits for real: time is simulated (fake timers
 * fire only when the grader moves the clock), the simulated servers answer on
 * later turns of the event loop (setImmediate), and everything else is promises.
 * So while a test is still awaiting, either some real macrotask is scheduled
 * (a setImmediate, a real timer) and may yet finish it, or nothing is, and
 * nothing ever will: the test is stuck. This module counts the real macrotasks
 * the realm's code schedules (setTimeout, setInterval, setImmediate, wrapped
 * before the grader and the code under test load) and judges a test stuck when
 * none is pending and nothing happened for a run of event-loop turns, plus a
 * short real grace for asynchronous work it cannot see (crypto.subtle, a
 * dynamic import). The judgement counts turns, not time, so it does not depend
 * on the machine's speed: a slow, busy property-based test always has work
 * pending and is never judged stuck; a stuck one is judged stuck in
 * milliseconds, however loaded the machine.
 *
 * Pure TypeScript with no Node or DOM APIs: the grading Worker, the in-page
 * core and vitest's setup file (never-settles.setup.ts) share it.
 */

import { neverSettledMessage } from './results.ts';

/** The error a stuck test fails with. */
export class NeverSettledError extends Error {
  constructor() {
    super(neverSettledMessage());
    this.name = 'NeverSettledError';
  }
}

type Callback = (...args: unknown[]) => void;
type Schedule = (callback: Callback, ...rest: unknown[]) => unknown;
type Clear = (handle: unknown) => void;

interface TimerGlobals {
  setTimeout: Schedule;
  setInterval: Schedule;
  clearTimeout: Clear;
  clearInterval: Clear;
  setImmediate?: Schedule;
  clearImmediate?: Clear;
}

/** The real macrotasks the code in this realm has scheduled and not yet run or cancelled. */
export interface MacrotaskTracker {
  readonly pending: number;
  /** Grows whenever a macrotask is scheduled, runs or is cancelled: anything at all happened. */
  readonly activity: number;
  /** Called when the last pending macrotask has run or been cancelled. Returns how to stop listening. */
  onIdle(listener: () => void): () => void;
  /** The timers as they were before tracking: the watcher's own turns must not count. */
  readonly untracked: { setTimeout: Schedule; setImmediate: Schedule };
  /** Puts the original timers back (where they are still the tracked ones). */
  restore(): void;
}

const installed = Symbol.for('request-journey:macrotask-tracker');

/**
 * Wraps the realm's setTimeout, setInterval and setImmediate (and their clears) so the macrotasks
 * scheduled through them are counted. Install it before the grader and the code under test load,
 * and after the test runner has kept its own timers (its test timeouts must not count). Installing
 * twice returns the first tracker.
 */
export function trackMacrotasks(scope: object = globalThis): MacrotaskTracker {
  const global = scope as TimerGlobals & { [installed]?: MacrotaskTracker };
  const existing = global[installed];
  if (existing) return existing;
  const original = {
    setTimeout: global.setTimeout,
    setInterval: global.setInterval,
    clearTimeout: global.clearTimeout,
    clearInterval: global.clearInterval,
    setImmediate: global.setImmediate,
    clearImmediate: global.clearImmediate,
  };
  const pending = new Set<object>();
  const byHandle = new Map<unknown, object>();
  const listeners = new Set<() => void>();
  let activity = 0;

  const idleIfDone = () => {
    if (pending.size > 0) return;
    for (const listener of [...listeners]) listener();
  };
  const settle = (token: object, handle: unknown) => {
    pending.delete(token);
    if (byHandle.get(handle) === token) byHandle.delete(handle);
  };

  /** A scheduling function whose callbacks are counted until they run (once) or are cleared. */
  const tracked = (schedule: Schedule, repeats: boolean): Schedule => {
    const wrapper = function (this: unknown, callback: Callback, ...rest: unknown[]) {
      // A string to evaluate, or nothing callable: not ours to count.
      if (typeof callback !== 'function') return Reflect.apply(schedule, this, [callback, ...rest]);
      const token = {};
      let handle: unknown;
      const run = function (this: unknown, ...args: unknown[]) {
        activity++;
        if (!repeats) settle(token, handle);
        try {
          return Reflect.apply(callback, this, args);
        } finally {
          idleIfDone();
        }
      };
      handle = Reflect.apply(schedule, this, [run, ...rest]);
      activity++;
      pending.add(token);
      if (handle !== undefined && handle !== null) byHandle.set(handle, token);
      return handle;
    };
    // Keep what hangs off the original (Node's util.promisify.custom on setTimeout and setImmediate).
    for (const key of Reflect.ownKeys(schedule)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      const descriptor = Object.getOwnPropertyDescriptor(schedule, key);
      if (descriptor) Object.defineProperty(wrapper, key, descriptor);
    }
    return wrapper as Schedule;
  };
  const clearing = (clear: Clear): Clear =>
    function (this: unknown, handle: unknown) {
      const token = byHandle.get(handle);
      if (token) {
        activity++;
        settle(token, handle);
      }
      Reflect.apply(clear, this, [handle]);
      if (token) idleIfDone();
    };

  const wrapped: Partial<TimerGlobals> = {
    setTimeout: tracked(original.setTimeout, false),
    setInterval: tracked(original.setInterval, true),
    clearTimeout: clearing(original.clearTimeout),
    clearInterval: clearing(original.clearInterval),
    ...(original.setImmediate && { setImmediate: tracked(original.setImmediate, false) }),
    ...(original.clearImmediate && { clearImmediate: clearing(original.clearImmediate) }),
  };
  Object.assign(global, wrapped);

  const untrackedImmediate: Schedule =
    original.setImmediate?.bind(global) ?? ((callback) => original.setTimeout.call(global, callback, 0));
  const tracker: MacrotaskTracker = {
    get pending() {
      return pending.size;
    },
    get activity() {
      return activity;
    },
    onIdle(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    untracked: { setTimeout: original.setTimeout.bind(global), setImmediate: untrackedImmediate },
    restore() {
      for (const [key, value] of Object.entries(wrapped) as Array<[keyof TimerGlobals, unknown]>) {
        if (global[key] === value) Object.assign(global, { [key]: original[key] });
      }
      delete global[installed];
    },
  };
  Object.defineProperty(global, installed, { value: tracker, configurable: true, enumerable: false });
  return tracker;
}

/** Turns in a row with nothing pending and nothing happening before a test counts as stuck. */
export const QUIET_TURNS = 20;
/**
 * Then a short real wait, for asynchronous work the tracker cannot see (crypto.subtle, a dynamic
 * import). Short, because every stuck test pays it: 33 stuck tests still fail within a few seconds.
 */
export const GRACE_MS = 100;

/** Microtasks to wait, after the last pending macrotask ran, before a turn of our own (see onIdle). */
const MICROTASK_HOPS = 8;
// Kept as this module loads, before any code under test could replace it.
const microtask = globalThis.queueMicrotask.bind(globalThis);

/**
 * Runs one test body; if the realm goes quiet while it is still pending, it rejects with
 * NeverSettledError. The body's own result (value or error) wins whenever it comes first.
 */
export function failIfNeverSettles<T>(
  body: () => T | PromiseLike<T>,
  tracker: MacrotaskTracker,
  options: { quietTurns?: number; graceMs?: number } = {},
): Promise<Awaited<T>> {
  const quietTurns = options.quietTurns ?? QUIET_TURNS;
  const graceMs = options.graceMs ?? GRACE_MS;
  return new Promise<Awaited<T>>((resolve, reject) => {
    let done = false;
    let checkScheduled = false;
    let quiet = 0;
    let seen = tracker.activity;
    let stopListening = () => {};
    const end = () => {
      done = true;
      stopListening();
    };

    const check = () => {
      checkScheduled = false;
      if (done) return;
      // Something may still finish the body: look again when it is all done (onIdle).
      if (tracker.pending > 0) return;
      if (tracker.activity !== seen) {
        seen = tracker.activity;
        quiet = 0;
      }
      quiet++;
      if (quiet < quietTurns) return scheduleCheck();
      tracker.untracked.setTimeout(() => {
        if (done) return;
        if (tracker.pending === 0 && tracker.activity === seen) {
          end();
          reject(new NeverSettledError());
        } else {
          quiet = 0;
          seen = tracker.activity;
          scheduleCheck();
        }
      }, graceMs);
    };
    function scheduleCheck() {
      if (checkScheduled || done) return;
      checkScheduled = true;
      tracker.untracked.setImmediate(check);
    }

    // When the last pending macrotask has run, the code it woke usually schedules the next one within a
    // few microtasks (a simulated server's reply, the next turn of settle()). Look again after those
    // before paying for a macrotask of our own: a warm run makes thousands of such turns.
    const onIdle = (hops = MICROTASK_HOPS) => {
      if (done || checkScheduled || tracker.pending > 0) return;
      if (hops > 0) microtask(() => onIdle(hops - 1));
      else scheduleCheck();
    };

    let result: T | PromiseLike<T>;
    try {
      result = body();
    } catch (error) {
      end();
      reject(error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        end();
        resolve(value as Awaited<T>);
      },
      (error: unknown) => {
        end();
        reject(error);
      },
    );
    stopListening = tracker.onIdle(() => onIdle());
    scheduleCheck();
  });
}
