import { describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import {
  crashedRunMessage,
  type RunInProgress,
  sessionCrashMarker,
} from '../../engine/runtime/crash-marker.ts';
import { OUT_OF_MEMORY_ADVICE } from '../../engine/runtime/runner.ts';
import type { ToWorker } from '../../engine/runtime/worker/protocol.ts';
import { createWorkerRunner, type WorkerEvents } from '../../engine/runtime/worker-runner.ts';
import { fakeSessionStorage } from './session-storage.ts';

describe('the crash marker', () => {
  it('tells the next page which run a crash interrupted, once', () => {
    const storage = fakeSessionStorage();
    const crashedPage = sessionCrashMarker(() => storage);
    crashedPage.mark({ exercise: 'cache-aside' });
    crashedPage.mark({ exercise: 'cache-aside', test: { task: 2, name: 'caches the product' } });
    // The tab crashed here: nothing cleared the marker. The reloaded page finds it.
    const reloaded = sessionCrashMarker(() => storage);
    expect(reloaded.takeLeftover()).toEqual({
      exercise: 'cache-aside',
      test: { task: 2, name: 'caches the product' },
    });
    expect(reloaded.takeLeftover()).toBeUndefined();
  });

  it('leaves nothing after a run that ended', () => {
    const storage = fakeSessionStorage();
    const page = sessionCrashMarker(() => storage);
    page.mark({ exercise: 'cache-aside' });
    page.clear();
    expect(sessionCrashMarker(() => storage).takeLeftover()).toBeUndefined();
  });

  it('does nothing, and breaks nothing, when storage throws or holds something else', () => {
    const broken = sessionCrashMarker(() => fakeSessionStorage(true));
    expect(() => broken.mark({ exercise: 'cache-aside' })).not.toThrow();
    expect(broken.takeLeftover()).toBeUndefined();
    const storage = fakeSessionStorage();
    storage.setItem('request-journey:run-in-progress', '{not json');
    expect(sessionCrashMarker(() => storage).takeLeftover()).toBeUndefined();
  });

  it('says the run crashed the page, names the test, gives the memory advice and says the code was kept', () => {
    const message = crashedRunMessage({
      exercise: 'cache-aside',
      test: { task: 2, name: 'caches the product' },
    });
    expect(message).toContain('crashed the page, while the grader ran task 2, "caches the product"');
    expect(message).toContain(OUT_OF_MEMORY_ADVICE);
    expect(message).toContain('Your code was kept');
  });

  it('is kept by the Worker runner: set as a run starts and reaches each test, cleared when it ends', async () => {
    const manifest = { id: 'cache-aside', files: { editable: ['product-cache.ts'] } } as ExerciseManifest;
    const seen: Array<RunInProgress | undefined> = [];
    let worker: { events: WorkerEvents; posted: ToWorker[] } | undefined;
    const runner = createWorkerRunner({
      progress: (run) => seen.push(run),
      spawn: (events) => {
        const spawned = { events, posted: [] as ToWorker[] };
        worker ??= spawned;
        return { post: (message) => spawned.posted.push(message), terminate() {} };
      },
    });
    const run = runner.grade({ manifest, files: { 'product-cache.ts': '' } });
    await Promise.resolve();
    const grade = worker?.posted.at(-1);
    if (grade?.type !== 'grade') throw new Error('nothing was graded');
    worker?.events.message({ type: 'test-started', id: grade.id, test: { task: 1, name: 'reads through' } });
    worker?.events.message({ type: 'test-finished', id: grade.id });
    worker?.events.message({
      type: 'done',
      id: grade.id,
      outcome: { kind: 'runner-error', message: 'not graded in this test' },
    });
    await run;
    expect(seen).toEqual([
      { exercise: 'cache-aside' },
      { exercise: 'cache-aside', test: { task: 1, name: 'reads through' } },
      { exercise: 'cache-aside' },
      undefined,
    ]);
  });
});
