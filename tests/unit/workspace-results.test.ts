import { describe, expect, it } from 'vitest';
import type { TestResult } from '../../engine/grading/results.ts';
import { memoryStore } from '../../engine/runtime/storage/backend.ts';
import { ProgressStore } from '../../engine/runtime/storage.ts';
import { diffAsLines, isProse } from '../../site/workspace/views/line-diff.ts';
import { clampLessonShare } from '../../site/workspace/views/split-view.ts';
import { groupTests } from '../../site/workspace/views/test-groups.ts';

/** The workspace's pure pieces: how it lists test results, diffs the solution, and when results go out of date. */

const test = (name: string, status: TestResult['status'], message?: string): TestResult => ({
  task: 1,
  name,
  status,
  durationMs: 1,
  ...(message && { message }),
});

describe('grouping a task’s test results', () => {
  it('shows tests that failed with the same message once, with every test named', () => {
    const groups = groupTests([
      test('a miss reads PostgreSQL', 'fail', 'getProduct returned undefined'),
      test('a miss fills the cache', 'fail', 'getProduct returned undefined'),
      test('a hit skips PostgreSQL', 'pass'),
      test('an unknown id', 'fail', 'getProduct returned undefined'),
      test('a deleted product', 'fail', 'the cache still held it'),
    ]);
    expect(groups.map((group) => [group.status, group.tests.map((each) => each.name)])).toEqual([
      ['fail', ['a miss reads PostgreSQL', 'a miss fills the cache', 'an unknown id']],
      ['pass', ['a hit skips PostgreSQL']],
      ['fail', ['a deleted product']],
    ]);
  });

  it('keeps failures apart when their expected or actual values differ', () => {
    const groups = groupTests([
      { ...test('ttl of a hit', 'fail', 'wrong TTL'), expected: '300', actual: '300000' },
      { ...test('ttl of a miss', 'fail', 'wrong TTL'), expected: '300', actual: '0' },
    ]);
    expect(groups).toHaveLength(2);
  });
});

describe('the solution diff, code only', () => {
  it('knows a comment or blank line from code', () => {
    expect(['', '  // TODO: read Redis first', '/**', ' * the key', ' */'].every(isProse)).toBe(true);
    expect(isProse("  const key = 'product:' + id;")).toBe(false);
  });

  it('marks changes to code and leaves out changes to comments and blank lines', () => {
    const learner = [
      '// TODO: read through the cache',
      'export async function getProduct(id) {',
      '  return db.find(id);',
      '}',
    ].join('\n');
    const solution = [
      '// Cache-aside: Redis first, PostgreSQL on a miss.',
      'export async function getProduct(id) {',
      '',
      '  // A hit costs one round trip.',
      '  return (await cache.get(id)) ?? db.find(id);',
      '}',
    ].join('\n');
    const changes = diffAsLines(learner, solution, true).filter((line) => line.kind !== 'same');
    expect(changes).toEqual([
      { kind: 'removed', text: '  return db.find(id);' },
      { kind: 'added', text: '  return (await cache.get(id)) ?? db.find(id);' },
    ]);
    expect(diffAsLines(learner, solution).filter((line) => line.kind !== 'same').length).toBeGreaterThan(2);
  });
});

describe('results that describe earlier code', () => {
  const caching = {
    id: 'cache-aside',
    lesson: 'caching',
    tasks: [1, 2].map((number) => ({ number, title: `task ${number}`, teaches: '', hints: [] })),
  };
  const starter = { 'product-cache.ts': '// TODO' };
  const solved = { 'product-cache.ts': 'export const solved = true;' };

  it('are current only for the code they graded, and completion follows the code', () => {
    const store = ProgressStore.open(memoryStore());
    store.saveCode(caching.id, solved);
    store.recordRun(caching, [1, 2], solved);
    expect(store.resultsCurrent(caching.id, solved)).toBe(true);
    expect(store.lessons().caching?.completed).toBe(true);

    // Reset to the starter: the results no longer describe the code, and the lesson is not completed.
    store.saveCode(caching.id, starter);
    store.syncLessonCompletion(caching, starter);
    expect(store.resultsCurrent(caching.id, starter)).toBe(false);
    expect(store.lessons().caching?.completed).toBe(false);
    const exported = JSON.parse(store.exportJson());
    expect(exported.lessons.caching.completed).toBe(false);
    expect(exported.exercises['cache-aside'].files).toEqual(starter);

    // Undo: the code that passed is back, and so is the completed lesson.
    store.saveCode(caching.id, solved);
    store.syncLessonCompletion(caching, solved);
    expect(store.lessons().caching?.completed).toBe(true);
  });

  it('count as current when saved before results remembered their code', () => {
    const store = ProgressStore.open(memoryStore());
    store.recordRun(caching, [1, 2]);
    expect(store.resultsCurrent(caching.id, starter)).toBe(true);
    expect(store.syncLessonCompletion(caching, starter)).toBeUndefined();
    expect(store.lessons().caching?.completed).toBe(true);
  });
});

describe('the divider between lesson and editor', () => {
  it('leaves each side at least 30% of the window', () => {
    expect([0, 29.6, 50, 72, 100].map(clampLessonShare)).toEqual([30, 30, 50, 70, 70]);
  });
});
