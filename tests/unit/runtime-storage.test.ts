import { describe, expect, it } from 'vitest';
import { browserStore, type KeyValueStore, memoryStore } from '../../engine/runtime/storage/backend.ts';
import { LESSON_PROGRESS_KEY, readLessonProgress } from '../../engine/runtime/storage/lesson-progress.ts';
import type { StoredProgress } from '../../engine/runtime/storage/schema.ts';
import { ProgressStore } from '../../engine/runtime/storage.ts';

const caching = {
  id: 'cache-aside',
  lesson: 'caching',
  tasks: [1, 2, 3].map((number) => ({ number, title: `task ${number}`, teaches: '', hints: [] })),
};
const now = () => new Date('2026-03-01T10:00:00Z');

/** localStorage with a byte budget, as browsers have; `full` makes every write fail. */
function limitedStore(budget: number): KeyValueStore & { full: boolean; items: Map<string, string> } {
  const items = new Map<string, string>();
  const size = () => [...items].reduce((total, [key, value]) => total + key.length + value.length, 0);
  return {
    items,
    full: false,
    getItem: (key) => items.get(key) ?? null,
    setItem(key, value) {
      const before = items.get(key);
      items.set(key, value);
      if (this.full || size() > budget) {
        if (before === undefined) items.delete(key);
        else items.set(key, before);
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
    },
    removeItem: (key) => void items.delete(key),
    keys: () => [...items.keys()],
  };
}

describe('saving progress', () => {
  it('autosaves code per exercise and finds it again after a reload', () => {
    const backend = memoryStore();
    const store = ProgressStore.open(backend);
    expect(store.exercise('cache-aside')).toEqual({ files: {}, passedTasks: [], hintsRevealed: {} });
    expect(store.saveCode('cache-aside', { 'product-cache.ts': 'v1' })).toEqual({ ok: true });
    expect(store.saveCode('cache-aside', { 'product-cache.ts': 'v2' })).toEqual({ ok: true });
    const reloaded = ProgressStore.open(backend);
    expect(reloaded.exercise('cache-aside').files).toEqual({ 'product-cache.ts': 'v2' });
    expect(reloaded.loadFailures).toEqual([]);
  });

  it('keeps task results and hints, and completes the lesson when every task passes', () => {
    const backend = memoryStore();
    const store = ProgressStore.open(backend);
    store.recordRun(caching, [2, 1]);
    store.revealHint('cache-aside', 3);
    store.revealHint('cache-aside', 3);
    expect(store.lessons()).toEqual({});
    store.recordRun(caching, [1, 2, 3]);
    const reloaded = ProgressStore.open(backend);
    expect(reloaded.exercise('cache-aside')).toMatchObject({
      passedTasks: [1, 2, 3],
      hintsRevealed: { 3: 2 },
    });
    expect(reloaded.lessons()).toEqual({ caching: { completed: true } });
  });

  it('writes lesson completion where the course outline reads it', () => {
    const backend = memoryStore();
    ProgressStore.open(backend).setLessonCompleted('single-server', true);
    expect(JSON.parse(backend.getItem(LESSON_PROGRESS_KEY) ?? '')).toEqual({
      lessons: { 'single-server': { completed: true } },
    });
    expect(readLessonProgress({ getItem: (key) => backend.getItem(key) })).toEqual({
      'single-server': { completed: true },
    });
    expect(readLessonProgress({ getItem: () => 'not json' })).toEqual({});
    expect(readLessonProgress(undefined)).toEqual({});
  });

  it('keeps the runner preference', () => {
    const backend = memoryStore();
    ProgressStore.open(backend).setRunnerPreference('worker');
    expect(ProgressStore.open(backend).preferences()).toEqual({ runner: 'worker' });
  });
});

describe('when storage fails', () => {
  it('reports a full quota, keeps the change in memory, and saves it once there is room', () => {
    const backend = limitedStore(10_000);
    const store = ProgressStore.open(backend);
    const failures: string[] = [];
    store.onFailure((failure) => failures.push(failure.kind));

    const result = store.saveCode('cache-aside', { 'product-cache.ts': 'x'.repeat(20_000) });
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: 'quota', message: expect.stringContaining('full') },
    });
    expect(failures).toEqual(['quota']);
    expect(store.exercise('cache-aside').files['product-cache.ts']).toHaveLength(20_000);

    // The learner shortens the file (or frees space): the next write saves everything pending.
    store.setLessonCompleted('caching', true);
    expect(store.saveCode('cache-aside', { 'product-cache.ts': 'short' })).toEqual({ ok: true });
    const reloaded = ProgressStore.open(backend);
    expect(reloaded.exercise('cache-aside').files).toEqual({ 'product-cache.ts': 'short' });
    expect(reloaded.lessons()).toEqual({ caching: { completed: true } });
  });

  it('retries an earlier failed write with the next change', () => {
    const backend = limitedStore(100_000);
    const store = ProgressStore.open(backend);
    backend.full = true;
    expect(store.revealHint('load-balancer', 1).ok).toBe(false);
    backend.full = false;
    expect(store.setRunnerPreference('worker')).toEqual({ ok: true });
    expect(ProgressStore.open(backend).exercise('load-balancer').hintsRevealed).toEqual({ 1: 1 });
  });

  it('works in memory and says so when the browser refuses storage altogether', () => {
    const blocked = browserStore({
      get localStorage(): Storage {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    expect(blocked).toMatchObject({ kind: 'unavailable' });
    const store = ProgressStore.open(blocked);
    expect(store.loadFailures).toMatchObject([{ kind: 'unavailable' }]);
    expect(store.saveCode('cache-aside', { 'a.ts': 'kept' })).toMatchObject({
      ok: false,
      failure: { kind: 'unavailable' },
    });
    expect(store.exercise('cache-aside').files).toEqual({ 'a.ts': 'kept' });
  });

  it('sets unreadable data aside instead of overwriting it, and loads the rest', () => {
    const backend = memoryStore({
      'request-journey:v1:meta': '{"schemaVersion":1}',
      'request-journey:v1:exercise:cache-aside': '{"files": {"a.ts": ',
      'request-journey:v1:exercise:load-balancer':
        '{"files":{"b.ts":"fine"},"passedTasks":[],"hintsRevealed":{}}',
    });
    const store = ProgressStore.open(backend);
    expect(store.loadFailures).toMatchObject([{ kind: 'unreadable' }]);
    expect(store.exercise('load-balancer').files).toEqual({ 'b.ts': 'fine' });
    expect(backend.getItem('request-journey:v1:unreadable:exercise:cache-aside')).toBe('{"files": {"a.ts": ');
  });

  it('never writes over progress saved by a newer release', () => {
    const newer = {
      'request-journey:v1:meta': '{"schemaVersion":99}',
      'request-journey:v1:exercise:cache-aside':
        '{"files":{"a.ts":"from the future"},"passedTasks":[],"hintsRevealed":{}}',
    };
    const backend = memoryStore(newer);
    const store = ProgressStore.open(backend);
    expect(store.loadFailures).toMatchObject([{ kind: 'newer-version' }]);
    expect(store.exercise('cache-aside').files).toEqual({ 'a.ts': 'from the future' });
    expect(store.saveCode('cache-aside', { 'a.ts': 'older edit' })).toMatchObject({
      failure: { kind: 'newer-version' },
    });
    expect(Object.fromEntries(backend.keys().map((key) => [key, backend.getItem(key)]))).toEqual(newer);
  });
});

describe('upgrading stored progress', () => {
  // A pretend release 2 that renamed `code` to `files`: stored and exported work of release 1 must load.
  const renameCode = (progress: StoredProgress): StoredProgress => ({
    ...progress,
    exercises: Object.fromEntries(
      Object.entries(progress.exercises).map(([id, state]) => {
        const { code, ...rest } = state as { code: Record<string, string> };
        return [id, { ...rest, files: code }];
      }),
    ),
  });
  const release2 = { schemaVersion: 2, migrations: { 1: renameCode } };

  it('migrates what an earlier release stored, and stores it in the new shape', () => {
    const backend = memoryStore({
      'request-journey:v1:meta': '{"schemaVersion":1}',
      'request-journey:v1:exercise:cache-aside':
        '{"code":{"a.ts":"mine"},"passedTasks":[1],"hintsRevealed":{}}',
      [LESSON_PROGRESS_KEY]: '{"lessons":{"caching":{"completed":false}}}',
    });
    const store = ProgressStore.open(backend, release2);
    expect(store.exercise('cache-aside')).toEqual({
      files: { 'a.ts': 'mine' },
      passedTasks: [1],
      hintsRevealed: {},
    });
    expect(JSON.parse(backend.getItem('request-journey:v1:meta') ?? '')).toEqual({ schemaVersion: 2 });
    expect(JSON.parse(backend.getItem('request-journey:v1:exercise:cache-aside') ?? '')).toHaveProperty(
      'files',
    );
    expect(ProgressStore.open(backend, release2).lessons()).toEqual({ caching: { completed: false } });
  });

  it('imports a file exported by an earlier release', () => {
    const file = {
      format: 'request-journey-progress',
      schemaVersion: 1,
      exportedAt: '2026-01-01T00:00:00Z',
      lessons: {},
      exercises: { 'cache-aside': { code: { 'a.ts': 'old' }, passedTasks: [], hintsRevealed: {} } },
      preferences: { runner: 'auto' },
    };
    const store = ProgressStore.open(memoryStore(), release2);
    expect(store.importJson(JSON.stringify(file))).toEqual({ ok: true, saved: { ok: true } });
    expect(store.exercise('cache-aside').files).toEqual({ 'a.ts': 'old' });
  });
});

describe('export and import', () => {
  function storeWithWork() {
    const store = ProgressStore.open(memoryStore(), { now });
    store.saveCode('cache-aside', { 'product-cache.ts': 'export const x = 1;' });
    store.recordRun(caching, [1, 2, 3]);
    store.revealHint('replica-router', 2);
    store.setRunnerPreference('webcontainer');
    return store;
  }

  it('moves everything to a fresh browser profile through one JSON file', () => {
    const exported = storeWithWork().exportJson();
    expect(JSON.parse(exported)).toMatchObject({
      format: 'request-journey-progress',
      schemaVersion: 1,
      exportedAt: '2026-03-01T10:00:00.000Z',
    });
    const backend = memoryStore();
    const fresh = ProgressStore.open(backend);
    expect(fresh.importJson(exported)).toEqual({ ok: true, saved: { ok: true } });
    const reloaded = ProgressStore.open(backend);
    expect(reloaded.exercise('cache-aside').files).toEqual({ 'product-cache.ts': 'export const x = 1;' });
    expect(reloaded.exercise('replica-router').hintsRevealed).toEqual({ 2: 1 });
    expect(reloaded.lessons()).toEqual({ caching: { completed: true } });
    expect(reloaded.preferences()).toEqual({ runner: 'webcontainer' });
  });

  it('replaces what was there: exercises absent from the file are gone from storage too', () => {
    const backend = memoryStore();
    const store = ProgressStore.open(backend);
    store.saveCode('load-balancer', { 'b.ts': 'old' });
    store.importJson(storeWithWork().exportJson());
    expect(backend.getItem('request-journey:v1:exercise:load-balancer')).toBeNull();
    expect(store.exercise('load-balancer').files).toEqual({});
  });

  it('refuses a bad file with a clear reason and changes nothing', () => {
    const store = storeWithWork();
    const before = store.exportJson();
    const valid = JSON.parse(before);
    const attempts: Array<[string, RegExp]> = [
      ['{ not json', /not JSON/],
      [JSON.stringify({ hello: 'world' }), /not a Request Journey progress export:\nformat: /],
      [
        JSON.stringify({ ...valid, schemaVersion: 7 }),
        /newer version of the course \(format 7; this page reads up to 1\)/,
      ],
      [
        JSON.stringify({
          ...valid,
          exercises: { 'cache-aside': { files: { 'a.ts': 42 }, passedTasks: [], hintsRevealed: {} } },
        }),
        /exercises\.cache-aside\.files\.a\.ts: Expected string, received number/,
      ],
    ];
    for (const [text, reason] of attempts) {
      const result = store.importJson(text);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(reason);
    }
    expect(store.exportJson()).toBe(before);
  });
});
