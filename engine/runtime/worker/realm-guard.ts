/**
 * Keeps a grading Worker honest when it serves more than one run. Reusing a
 * Worker keeps its JIT warm (pg-mem and ioredis-mock run several times faster
 * the second time), but vitest gives every test file a fresh realm, and a run
 * must not be able to change the next one. So:
 * - timers a run leaves behind (a learner's refresh loop, say) are cleared when
 *   it ends, as they die with vitest's process;
 * - a run that changed a global or a built-in (Date.now replaced, a method
 *   added to Array.prototype) makes the Worker unfit for reuse: the page
 *   starts a fresh one for the next run.
 */

type Scope = typeof globalThis;

/** Built-ins whose own properties (and their prototypes') a run must leave alone. */
const BUILT_INS = [
  'Object',
  'Function',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Symbol',
  'BigInt',
  'Promise',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Date',
  'RegExp',
  'Error',
  'TypeError',
  'JSON',
  'Math',
  'Reflect',
  'Intl',
  'ArrayBuffer',
  'Uint8Array',
  'TextEncoder',
  'TextDecoder',
  'URL',
  'Buffer',
] as const;

type Fingerprint = Map<unknown, Map<PropertyKey, unknown[]>>;

function propertiesOf(target: object): Map<PropertyKey, unknown[]> {
  const properties = new Map<PropertyKey, unknown[]>();
  for (const key of Reflect.ownKeys(target)) {
    const d = Reflect.getOwnPropertyDescriptor(target, key);
    if (d) properties.set(key, [d.value, d.get, d.set, d.writable, d.enumerable, d.configurable]);
  }
  return properties;
}

function fingerprint(scope: Scope): Fingerprint {
  const objects = new Set<object>();
  for (const name of BUILT_INS) {
    const value = (scope as unknown as Record<string, unknown>)[name];
    if ((typeof value === 'object' || typeof value === 'function') && value !== null) {
      objects.add(value);
      const prototype = (value as { prototype?: unknown }).prototype;
      if (typeof prototype === 'object' && prototype !== null) objects.add(prototype);
    }
  }
  const result: Fingerprint = new Map();
  // The global object's string-named properties: symbol-named ones belong to the grading machinery,
  // which sets its own (vitest's expect, safe timers) on every run.
  const globals = propertiesOf(scope);
  for (const key of globals.keys()) if (typeof key === 'symbol') globals.delete(key);
  result.set(scope, globals);
  for (const object of objects) result.set(object, propertiesOf(object));
  return result;
}

function sameProperties(a: Map<PropertyKey, unknown[]>, b: Map<PropertyKey, unknown[]> | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  for (const [key, parts] of a) {
    const other = b.get(key);
    if (!other || parts.some((part, i) => !Object.is(part, other[i]))) return false;
  }
  return true;
}

export interface RealmGuard {
  /** Call as a run starts. */
  begin(): void;
  /** Call when it has ended: clears its timers, and says whether the realm is as it was. */
  end(): boolean;
}

export function guardRealm(scope: Scope = globalThis): RealmGuard {
  const pending = new Set<ReturnType<typeof setTimeout>>();
  const { setTimeout: set, setInterval: repeat, clearTimeout: clear, clearInterval: clearRepeat } = scope;
  // Installed once, before the grading packages capture the timer functions.
  const tracked = {
    setTimeout: (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const id = set(
        (...callArgs: unknown[]) => {
          pending.delete(id);
          callback(...callArgs);
        },
        ms,
        ...args,
      );
      pending.add(id);
      return id;
    },
    setInterval: (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const id = repeat(callback, ms, ...args);
      pending.add(id);
      return id;
    },
    clearTimeout: (id?: ReturnType<typeof setTimeout>) => {
      if (id !== undefined) pending.delete(id);
      clear(id);
    },
    clearInterval: (id?: ReturnType<typeof setInterval>) => {
      if (id !== undefined) pending.delete(id);
      clearRepeat(id);
    },
  };
  Object.assign(scope, tracked);

  let before: Fingerprint | undefined;
  return {
    begin() {
      before = fingerprint(scope);
    },
    end() {
      // clearTimeout and clearInterval share one pool of ids in browsers.
      for (const id of pending) clear(id);
      pending.clear();
      const after = fingerprint(scope);
      const unchanged =
        before !== undefined &&
        before.size === after.size &&
        [...before].every(([object, properties]) => sameProperties(properties, after.get(object)));
      before = undefined;
      return unchanged;
    },
  };
}
