import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../engine/course/manifest.ts';

const task = (number: number) => ({
  number,
  title: `Task ${number}`,
  teaches: 'why caches need a TTL',
  hints: ['a nudge', 'the concept', 'a code-shaped hint'],
});

const valid = {
  id: 'cache-aside',
  title: 'Cache-aside',
  phase: 2,
  lesson: 'caching',
  estimatedMinutes: 40,
  summary: 'Put Redis in front of PostgreSQL.',
  howGraded: 'The grader runs your service against an in-memory Redis and PostgreSQL.',
  tasks: [task(1), task(2)],
  files: { editable: ['product-cache.ts'], grader: 'tests/cache-aside/cache-aside.test.ts', readOnly: [] },
};

describe('exercise manifests', () => {
  it('accepts a complete manifest', () => {
    expect(parseManifest(valid, 'exercise.json').id).toBe('cache-aside');
  });

  it('names the file and the field of every problem', () => {
    const broken = { ...valid, phase: 4, tasks: [{ ...task(1), hints: ['only one'] }] };
    expect(() => parseManifest(broken, 'exercises/cache-aside/exercise.json')).toThrowError(
      /exercises\/cache-aside\/exercise\.json is not a valid exercise manifest:[\s\S]*phase[\s\S]*tasks\.0\.hints/,
    );
  });

  it('requires tasks numbered 1, 2, 3 in order', () => {
    expect(() => parseManifest({ ...valid, tasks: [task(1), task(3)] }, 'm.json')).toThrowError(
      /tasks\.1\.number: tasks must be numbered 1, 2, 3\.\.\. in order; expected 2, found 3/,
    );
  });

  it('rejects paths that leave the course', () => {
    const escaping = { ...valid, files: { ...valid.files, readOnly: ['../secrets.ts'] } };
    expect(() => parseManifest(escaping, 'm.json')).toThrowError(/files\.readOnly\.0/);
  });
});
