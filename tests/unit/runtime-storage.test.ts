import { describe, expect, it, vi } from 'vitest';
import { browserStore, type KeyValueStore, memoryStore } from '../../engine/runtime/storage/backend.ts';
import { LESSON_PROGRESS_KEY, readLessonProgress } from '../../engine/runtime/storage/lesson-progress.ts';
import type { StoredProgress } from '../../engine/runtime/storage/schema.ts';
import { type ExternalChange, MAX_IMPORT_CHARS, ProgressStore } from '../../engine/runtime/storage.ts';
import { lastLessonStorageKey } from '../../site/lib/progress.ts';
import { themeStorageKey } from '../../site/lib/theme.ts';

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

  it("keeps the questions of a lesson's check answered right, and completes the lesson when all are", () => {
    const backend = memoryStore();
    const store = ProgressStore.open(backend);
    store.recordCheck('dns', 4, [2]);
    store.recordCheck('dns', 4, [3, 1]);
    expect(store.lessons()).toEqual({ dns: { completed: false, passedQuestions: [1, 2, 3] } });
    store.recordCheck('dns', 4, [4]);
    const reloaded = ProgressStore.open(backend);
    expect(reloaded.lessons()).toEqual({ dns: { completed: true, passedQuestions: [1, 2, 3, 4] } });
    expect(readLessonProgress({ getItem: (key) => backend.getItem(key) })).toEqual({
      dns: { completed: true, passedQuestions: [1, 2, 3, 4] },
    });
    const elsewhere = ProgressStore.open(memoryStore(), { now });
    expect(elsewhere.importJson(reloaded.exportJson())).toMatchObject({ ok: true });
    expect(elsewhere.lessons()).toEqual(reloaded.lessons());
  });

  it("adds a check's answers from two tabs together, and keeps them when the lesson is marked", () => {
    const backend = memoryStore();
    const first = ProgressStore.open(backend);
    const second = ProgressStore.open(backend);
    first.recordCheck('cdn', 3, [1]);
    second.recordCheck('cdn', 3, [2]);
    first.setLessonCompleted('cdn', false);
    expect(ProgressStore.open(backend).lessons()).toEqual({
      cdn: { completed: false, passedQuestions: [1, 2] },
    });
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

/**
 * Tabs of one browser: each has its own view of one shared localStorage, and hears the others'
 * writes as `storage` events, which arrive later (here: when `deliver()` is called).
 */
function sharedStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  const tabs: Array<{ listeners: Set<(key: string | null) => void> }> = [];
  let queue: Array<() => void> = [];
  return {
    items,
    tab(): KeyValueStore {
      const self = { listeners: new Set<(key: string | null) => void>() };
      tabs.push(self);
      const announce = (key: string) => {
        for (const other of tabs) {
          if (other !== self) for (const listener of other.listeners) queue.push(() => listener(key));
        }
      };
      return {
        getItem: (key) => items.get(key) ?? null,
        setItem(key, value) {
          items.set(key, value);
          announce(key);
        },
        removeItem(key) {
          items.delete(key);
          announce(key);
        },
        keys: () => [...items.keys()],
        subscribe(listener) {
          self.listeners.add(listener);
          return () => self.listeners.delete(listener);
        },
      };
    },
    deliver() {
      const due = queue;
      queue = [];
      for (const event of due) event();
    },
  };
}

const stored = (storage: { items: Map<string, string> }, id = 'cache-aside') =>
  JSON.parse(storage.items.get(`request-journey:v1:exercise:${id}`) ?? 'null');

describe('two tabs on one storage', () => {
  function twoTabs() {
    const storage = sharedStorage();
    const first = ProgressStore.open(storage.tab());
    first.saveCode('cache-aside', { 'product-cache.ts': 'v1' });
    const second = ProgressStore.open(storage.tab());
    storage.deliver();
    return { storage, first, second };
  }

  it('takes the theme or last lesson another tab stored for what they are, not for unreadable progress', () => {
    const storage = sharedStorage();
    const workspace = ProgressStore.open(storage.tab());
    const failures: unknown[] = [];
    workspace.onFailure((failure) => failures.push(failure));
    const otherTab = storage.tab();
    otherTab.setItem(themeStorageKey, 'dark');
    otherTab.setItem(lastLessonStorageKey, 'dns');
    storage.deliver();
    expect(failures).toEqual([]);
    expect([...storage.items.keys()].sort()).toEqual([lastLessonStorageKey, themeStorageKey]);
    expect(ProgressStore.open(storage.tab()).loadFailures).toEqual([]);
  });

  it("an older tab's hint reveal or run does not write its stale code over newer code", () => {
    const { storage, first, second } = twoTabs();
    first.saveCode('cache-aside', { 'product-cache.ts': 'v2, typed in the first tab' });
    // Before the second tab has heard of it:
    second.revealHint('cache-aside', 1);
    second.recordRun(caching, [1]);
    expect(stored(storage)).toEqual({
      files: { 'product-cache.ts': 'v2, typed in the first tab' },
      passedTasks: [1],
      hintsRevealed: { 1: 1 },
    });
    expect(second.exercise('cache-aside').files).toEqual({
      'product-cache.ts': 'v2, typed in the first tab',
    });
  });

  it("an older tab's save with nothing new keeps the other tab's code and says so", () => {
    const { storage, first, second } = twoTabs();
    const changes: ExternalChange[] = [];
    second.onExternalChange((change) => changes.push(change));
    first.saveCode('cache-aside', { 'product-cache.ts': 'v2' });
    // A flush of the second tab's untouched editor (pagehide, a run):
    expect(second.saveCode('cache-aside', { 'product-cache.ts': 'v1' })).toEqual({ ok: true });
    expect(stored(storage).files).toEqual({ 'product-cache.ts': 'v2' });
    expect(changes).toMatchObject([
      {
        exercises: {
          'cache-aside': {
            before: { files: { 'product-cache.ts': 'v1' } },
            after: { files: { 'product-cache.ts': 'v2' } },
          },
        },
      },
    ]);
  });

  it('typing in both: the newest typing is saved, and the code it replaces is handed to the page first', () => {
    const { storage, first, second } = twoTabs();
    const replaced: string[] = [];
    second.onExternalChange(({ exercises }) => {
      replaced.push(exercises['cache-aside']?.after.files['product-cache.ts'] ?? '');
    });
    first.saveCode('cache-aside', { 'product-cache.ts': 'typed in the first tab' });
    second.saveCode('cache-aside', { 'product-cache.ts': 'typed in the second tab, later' });
    expect(replaced).toEqual(['typed in the first tab']);
    expect(stored(storage).files).toEqual({ 'product-cache.ts': 'typed in the second tab, later' });
  });

  it('a lesson completed in one tab is not erased by the other', () => {
    const { first, second, storage } = twoTabs();
    first.recordRun(caching, [1, 2, 3]);
    second.setLessonCompleted('load-balancing', true);
    second.setRunnerPreference('worker');
    expect(ProgressStore.open(storage.tab()).lessons()).toEqual({
      caching: { completed: true },
      'load-balancing': { completed: true },
    });
  });

  it("an import is not undone by the other tab's next save", () => {
    const { first, second, storage } = twoTabs();
    const file = ProgressStore.open(memoryStore(), { now });
    file.saveCode('cache-aside', { 'product-cache.ts': 'imported' });
    file.setLessonCompleted('caching', true);
    expect(first.importJson(file.exportJson())).toMatchObject({ ok: true });
    second.saveCode('cache-aside', { 'product-cache.ts': 'v1' }); // its untouched editor, flushed
    second.revealHint('cache-aside', 2);
    second.setLessonCompleted('single-server', true);
    const reloaded = ProgressStore.open(storage.tab());
    expect(reloaded.exercise('cache-aside')).toEqual({
      files: { 'product-cache.ts': 'imported' },
      passedTasks: [],
      hintsRevealed: { 2: 1 },
    });
    expect(reloaded.lessons()).toEqual({
      caching: { completed: true },
      'single-server': { completed: true },
    });
  });

  it("takes in the other tab's changes when the browser announces them, without writing", () => {
    const { first, second, storage } = twoTabs();
    const changes: ExternalChange[] = [];
    second.onExternalChange((change) => changes.push(change));
    first.saveCode('cache-aside', { 'product-cache.ts': 'v2' });
    first.recordRun(caching, [1, 2, 3]);
    const before = new Map(storage.items);
    storage.deliver();
    expect(second.exercise('cache-aside')).toMatchObject({
      files: { 'product-cache.ts': 'v2' },
      passedTasks: [1, 2, 3],
    });
    expect(second.lessons()).toEqual({ caching: { completed: true } });
    expect(changes.some((change) => change.lessons)).toBe(true);
    expect(changes.flatMap((change) => Object.keys(change.exercises))).toContain('cache-aside');
    expect(storage.items).toEqual(before);
  });

  it('stops writing when a newer release of the course wrote the storage in another tab', () => {
    const { second, storage } = twoTabs();
    const failures: string[] = [];
    second.onFailure((failure) => failures.push(failure.kind));
    storage.items.set('request-journey:v1:meta', '{"schemaVersion":99}');
    second.refresh();
    expect(second.revealHint('cache-aside', 1)).toMatchObject({
      ok: false,
      failure: { kind: 'newer-version' },
    });
    expect(failures).toContain('newer-version');
    expect(stored(storage).hintsRevealed).toEqual({});
  });
});

describe('importing safely', () => {
  function withWork(backend: KeyValueStore) {
    const store = ProgressStore.open(backend, { now });
    store.saveCode('cache-aside', { 'product-cache.ts': 'my own code' });
    store.recordRun(caching, [1, 2, 3]);
    return store;
  }
  function bigExport() {
    const other = ProgressStore.open(memoryStore(), { now });
    other.saveCode('load-balancer', { 'load-balancer.ts': 'x'.repeat(30_000) });
    other.saveCode('replica-router', { 'replica-router.ts': 'y'.repeat(30_000) });
    return other.exportJson();
  }

  it('an import that does not fit is refused whole: storage and the page keep what they had', () => {
    const backend = limitedStore(40_000);
    const store = withWork(backend);
    const before = new Map(backend.items);
    const result = store.importJson(bigExport());
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no room.*Nothing was changed/s),
    });
    expect(backend.items).toEqual(before);
    expect(store.exercise('cache-aside').files).toEqual({ 'product-cache.ts': 'my own code' });
    expect(store.exercise('load-balancer').files).toEqual({});
    expect(ProgressStore.open(backend).exercise('cache-aside').files).toEqual({
      'product-cache.ts': 'my own code',
    });
  });

  it('refuses a file larger than any export before reading it', () => {
    const store = withWork(memoryStore());
    const parse = vi.spyOn(JSON, 'parse');
    const result = store.importJson(`{"format":"request-journey-progress",${' '.repeat(MAX_IMPORT_CHARS)}}`);
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/too large.*Nothing was changed/),
    });
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('keeps the progress an import replaced, and restores it (itself undoable)', () => {
    const backend = memoryStore();
    const store = withWork(backend);
    expect(store.backup()).toBeUndefined();
    expect(store.restoreBackup()).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no earlier progress/),
    });
    expect(store.importJson(bigExport())).toEqual({ ok: true, saved: { ok: true } });
    expect(store.exercise('cache-aside').files).toEqual({});
    expect(store.backup()).toEqual({ savedAt: '2026-03-01T10:00:00.000Z' });

    const reloaded = ProgressStore.open(backend, { now });
    expect(reloaded.restoreBackup()).toEqual({ ok: true, saved: { ok: true } });
    expect(reloaded.exercise('cache-aside').files).toEqual({ 'product-cache.ts': 'my own code' });
    expect(reloaded.lessons()).toEqual({ caching: { completed: true } });
    expect(ProgressStore.open(backend).exercise('load-balancer').files).toEqual({});
    // The import it undid is now the backup: restoring again brings it back.
    expect(reloaded.restoreBackup()).toMatchObject({ ok: true });
    expect(reloaded.exercise('load-balancer').files['load-balancer.ts']).toHaveLength(30_000);
  });
});

describe('when reading storage throws', () => {
  it('opens in memory with the "not saved" notice instead of failing', () => {
    const throwing = new Proxy({} as Storage, {
      get(_, property) {
        if (property === 'length') return 1;
        return () => {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        };
      },
    });
    const backend = browserStore({ localStorage: throwing });
    const store = ProgressStore.open(backend);
    expect(store.loadFailures).toMatchObject([
      { kind: 'unavailable', message: expect.stringContaining('only in this tab') },
    ]);
    expect(store.saveCode('cache-aside', { 'a.ts': 'kept' })).toMatchObject({
      ok: false,
      failure: { kind: 'unavailable' },
    });
    expect(store.exercise('cache-aside').files).toEqual({ 'a.ts': 'kept' });
  });
});
