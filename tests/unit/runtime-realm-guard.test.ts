import { runInNewContext } from 'node:vm';
import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import { guardRealm } from '../../engine/runtime/worker/realm-guard.ts';

/** A realm of its own (its own Array, Date, JSON...) with fake timers, standing in for a Worker's. */
function workerRealm() {
  const clock = FakeTimers.createClock();
  const scope = runInNewContext('globalThis') as typeof globalThis & Record<string, unknown>;
  Object.assign(scope, {
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
  });
  return { scope, clock, guard: guardRealm(scope) };
}

describe('the realm guard of a reused grading Worker', () => {
  it('lets a run that leaves globals and built-ins alone be followed by another', () => {
    const { scope, guard } = workerRealm();
    guard.begin();
    const cache = new (scope.Map as MapConstructor)([[1, 'a']]);
    scope.JSON.stringify([...cache]);
    scope.setTimeout(() => {}, 0);
    expect(guard.end()).toBe(true);
  });

  it.each([
    ['replaces Date.now', (scope: typeof globalThis & Record<string, unknown>) => (scope.Date.now = () => 0)],
    [
      'adds a method to Array.prototype',
      (scope: typeof globalThis & Record<string, unknown>) => {
        Object.defineProperty(scope.Array.prototype, 'last', { value: () => undefined });
      },
    ],
    ['sets a global', (scope: typeof globalThis & Record<string, unknown>) => (scope.cacheHits = 0)],
    [
      'replaces a global',
      (scope: typeof globalThis & Record<string, unknown>) => (scope.Promise = class {} as never),
    ],
  ])('makes the Worker unfit when a run %s', (_, change) => {
    const { scope, guard } = workerRealm();
    guard.begin();
    change(scope);
    expect(guard.end()).toBe(false);
  });

  it('clears the timers a run leaves behind, as they would die with its process', () => {
    const { scope, clock, guard } = workerRealm();
    const fired: string[] = [];
    guard.begin();
    scope.setInterval(() => fired.push('refresh loop'), 10);
    scope.setTimeout(() => fired.push('late write'), 50);
    const done = scope.setTimeout(() => fired.push('cleared by the run'), 5);
    scope.clearTimeout(done);
    scope.setTimeout(() => fired.push('ran during the run'), 1);
    clock.tick(1);
    expect(guard.end()).toBe(true);
    clock.tick(1_000);
    expect(fired).toEqual(['ran during the run']);
  });
});
