import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';
import type { ExerciseTask } from '../../engine/course/manifest.ts';
import { keyFigure, lessonFigures } from '../../site/presenter/lesson-figures.ts';
import { solutionSteps } from '../../site/presenter/solution-steps.ts';

/** What presenter mode derives at build time from the lessons and the reference solutions. */

const withoutBlankLines = (text: string) => text.replace(/\n\s*\n/g, '\n').trim();

describe('solution walkthrough steps', () => {
  for (const exercise of loadCourse()) {
    for (const file of exercise.manifest.files.editable) {
      it(`${exercise.manifest.id}/${file}: cover the whole file, in order, each with a sentence`, () => {
        const source = readFileSync(join(exercise.solutionDir, file), 'utf8');
        const steps = solutionSteps(source, exercise.manifest.tasks);
        expect(steps.length).toBeGreaterThan(3);
        expect(withoutBlankLines(steps.map((step) => step.code).join('\n'))).toBe(withoutBlankLines(source));
        for (const step of steps) expect(step.note).toMatch(/^\S.{8,}[.:)]$/s);
        for (const step of steps) {
          if (step.task) expect(exercise.manifest.tasks[step.task.number - 1]?.title).toBe(step.task.title);
        }
      });
    }
  }

  const tasks: ExerciseTask[] = [
    {
      number: 1,
      title: 'Read through the cache',
      teaches: 'cache-aside reads',
      hints: ['a', 'b', 'redis.get(productKey) then JSON.parse'],
    },
    {
      number: 2,
      title: 'Invalidate on update',
      teaches: 'delete after the write',
      hints: ['a', 'b', 'await redis.del(productKey(id)) after updateRow'],
    },
  ];
  const source = [
    "import type { Redis } from 'ioredis';",
    '',
    'const TTL = 300;',
    '',
    '/** Reads go to Redis first. On a miss, PostgreSQL. */',
    'async function read(redis: Redis, id: number) {',
    '  const cached = await redis.get(productKey(id));',
    '  return cached && JSON.parse(cached);',
    '}',
    '',
    'async function invalidate(redis: Redis, id: number) {',
    '  await updateRow(id);',
    '  await redis.del(productKey(id));',
    '}',
  ].join('\n');

  it("cut at the author's blank lines; a single line joins the stretch after it", () => {
    const steps = solutionSteps(source, tasks);
    expect(steps.map((step) => step.code.split('\n')[0])).toEqual([
      "import type { Redis } from 'ioredis';",
      '/** Reads go to Redis first. On a miss, PostgreSQL. */',
      'async function invalidate(redis: Redis, id: number) {',
    ]);
    expect(steps[0]?.note).toBe('What the file imports and exports.');
    expect(steps[0]?.code).toContain('const TTL = 300;');
  });

  it("say the first sentence of the author's comment, else name the code; the task is the one whose hints share its names", () => {
    const [, read, invalidate] = solutionSteps(source, tasks);
    expect(read?.note).toBe('Reads go to Redis first.');
    expect(read?.task?.number).toBe(1);
    expect(invalidate?.note).toBe('invalidate is code this task needs.');
    expect(invalidate?.task?.number).toBe(2);
  });
});

describe('lesson figures', () => {
  const lessons = readdirSync(join(courseRoot, 'lessons')).filter((file) => file.endsWith('.mdx'));

  it('every lesson has a key diagram, an inline SVG with its caption', () => {
    for (const file of lessons) {
      const figure = keyFigure(file, readFileSync(join(courseRoot, 'lessons', file), 'utf8'));
      expect(figure?.svg, file).toMatch(/^<svg[\s\S]*<\/svg>$/);
      expect(figure?.caption.length, file).toBeGreaterThan(20);
    }
  });

  it('refuses a figure with an MDX expression, which would reach the slide as text', () => {
    const body = '<Figure caption="A figure">\n<svg><text>{count}</text></svg>\n</Figure>';
    expect(() => lessonFigures('broken', body)).toThrow('lessons/broken.mdx');
  });
});
