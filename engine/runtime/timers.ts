/**
 * The clock the runtime waits on. Injected so unit tests can drive budgets and
 * timeouts without real waiting.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export const TIMED_OUT = Symbol('timed out');

/** Resolves with the promise's value, or with TIMED_OUT once `ms` pass first. Never leaves a timer behind. */
export function withinBudget<T>(
  promise: Promise<T>,
  ms: number,
  timers: Timers,
): Promise<T | typeof TIMED_OUT> {
  let handle: unknown;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    handle = timers.setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => timers.clearTimeout(handle));
}
