import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import { isolationHeadersFor } from '../../site/integrations/cross-origin-isolation.ts';
import { lessonForStop, stopLink } from '../../site/lib/journey.ts';
import { lessonCheckSchema } from '../../site/lib/lesson-check.ts';
import {
  cacheControlProblems,
  checkProblems,
  lessonExerciseProblems,
  sourceArticleProblems,
  workspaceCount,
} from '../../site/lib/lesson-rules.ts';
import { inCourseOrder, type LessonSummary, neighbours } from '../../site/lib/outline.ts';
import { completedLessons, continueLesson, courseProgressText } from '../../site/lib/progress.ts';
import { sourceArticle } from '../../site/lib/source-article.ts';

/** The site's pure building blocks, without a build or a browser. */

function lesson(slug: string, phase: 1 | 2 | 3, order: number, extra: Partial<LessonSummary> = {}) {
  return { slug, title: slug, phase, order, summary: 'A lesson summary.', readingMinutes: 5, ...extra };
}

describe('course order', () => {
  const lessons = [lesson('c', 3, 1), lesson('a', 1, 2), lesson('b', 2, 1), lesson('z', 1, 1)];

  it('sorts by phase, then order', () => {
    expect(inCourseOrder(lessons).map((l) => l.slug)).toEqual(['z', 'a', 'b', 'c']);
  });

  it('refuses two lessons in the same place', () => {
    expect(() => inCourseOrder([lesson('x', 2, 1), lesson('y', 2, 1)])).toThrow(
      'lessons "x" and "y" both claim phase 2, order 1',
    );
  });

  it('finds the previous and next lesson across phases', () => {
    const ordered = inCourseOrder(lessons);
    expect(neighbours(ordered, 'a')).toEqual({ previous: ordered[0], next: ordered[2] });
    expect(neighbours(ordered, 'z').previous).toBeUndefined();
    expect(neighbours(ordered, 'c').next).toBeUndefined();
  });
});

describe('journey stops', () => {
  const ordered = [
    lesson('single-server', 1, 1, { stop: 'app-server' }),
    lesson('stateless', 3, 2, { stop: 'app-server' }),
    lesson('read-replicas', 3, 3, { stop: 'replicas' }),
  ];

  it('link to the first lesson about them', () => {
    expect(lessonForStop('app-server', ordered)?.slug).toBe('single-server');
  });

  it('link the database to the replicas lesson while it has none of its own', () => {
    expect(lessonForStop('database', ordered)?.slug).toBe('read-replicas');
  });

  it('have no link when no lesson covers them yet', () => {
    expect(lessonForStop('cdn', ordered)).toBeUndefined();
    expect(stopLink('cdn', ordered)).toBeUndefined();
  });

  it('lead straight into the exercise of a lesson that has one, and to the lesson otherwise', () => {
    const withExercises = [
      lesson('dns', 1, 1, { stop: 'dns' }),
      lesson('read-replicas', 3, 3, { stop: 'replicas', exercise: 'replica-router' }),
    ];
    expect(stopLink('dns', withExercises)).toEqual({ href: '/lessons/dns/', opensExercise: false });
    expect(stopLink('replicas', withExercises)).toEqual({
      href: '/lessons/read-replicas/#workspace',
      opensExercise: true,
    });
    expect(stopLink('database', withExercises)?.href).toBe('/lessons/read-replicas/#workspace');
  });
});

describe('lessons and exercises', () => {
  const manifests = new Map([['cache-aside', { id: 'cache-aside', lesson: 'caching' } as ExerciseManifest]]);
  const caching = lesson('caching', 2, 1, { exercise: 'cache-aside' });

  it('accept a lesson with its exercise and one workspace', () => {
    expect(lessonExerciseProblems(caching, 'Text\n\n<Workspace />\n', manifests)).toEqual([]);
  });

  it('name every disagreement', () => {
    expect(lessonExerciseProblems(caching, 'no workspace here', manifests)).toEqual([
      'lessons/caching.mdx has an exercise, so it needs exactly one <Workspace />; found 0',
    ]);
    expect(lessonExerciseProblems({ ...caching, exercise: 'cache-asid' }, '<Workspace/>', manifests)[0]).toBe(
      'lessons/caching.mdx names exercise "cache-asid", which does not exist (known: cache-aside)',
    );
    expect(lessonExerciseProblems({ ...caching, slug: 'cdn' }, '<Workspace />', manifests)[0]).toContain(
      'belongs to lesson "caching"',
    );
    expect(lessonExerciseProblems(lesson('dns', 1, 2), '<Workspace />', manifests)).toEqual([
      'lessons/dns.mdx uses <Workspace /> but its frontmatter names no `exercise`',
    ]);
  });

  it('count workspace tags, not the word', () => {
    expect(workspaceCount('A Workspace is where <Workspace /> goes, then <Workspace/>')).toBe(2);
  });
});

describe('lesson checks', () => {
  const question = {
    prompt: 'Which is right?',
    choices: ['this one', 'that one'],
    answer: 1,
    explanation: 'Because this one is.'.repeat(2),
  };

  it('accept three to five questions whose answer is one of the choices, counted from 1', () => {
    expect(lessonCheckSchema.safeParse({ questions: [question, question, question] }).success).toBe(true);
    const answerTooFar = lessonCheckSchema.safeParse({
      questions: [question, question, { ...question, answer: 3 }],
    });
    expect(answerTooFar.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['questions.2.answer', 'answer must be the number of one of the choices, counting from 1'],
    ]);
    expect(lessonCheckSchema.safeParse({ questions: [question, question] }).success).toBe(false);
    expect(
      lessonCheckSchema.safeParse({ questions: [question, question, { ...question, choices: ['a', 'a'] }] })
        .success,
    ).toBe(false);
  });

  it('belong to a lesson without an exercise, and every such lesson has one', () => {
    const lessons = [lesson('dns', 1, 2), lesson('caching', 2, 1, { exercise: 'cache-aside' })];
    expect(checkProblems(lessons, ['dns'])).toEqual([]);
    expect(checkProblems(lessons, ['caching', 'dsn'])).toEqual([
      'lessons/checks/dsn.yaml is a check for lesson "dsn", which does not exist',
      'lessons/dns.mdx cannot be completed: give it an exercise, or questions in lessons/checks/dns.yaml',
      'lessons/caching.mdx has both an exercise and lessons/checks/caching.yaml; its exercise completes it, so remove the check',
    ]);
  });

  it('make every lesson of the course completable', () => {
    const lessonsDir = `${import.meta.dirname}/../../lessons`;
    const checks = readdirSync(`${lessonsDir}/checks`).map((name) => name.replace(/\.yaml$/, ''));
    const lessons = readdirSync(lessonsDir)
      .filter((name) => name.endsWith('.mdx'))
      .map((name, order) => {
        const frontmatter = readFileSync(`${lessonsDir}/${name}`, 'utf8').split('---')[1] ?? '';
        const exercise = /^exercise:\s*(\S+)/m.exec(frontmatter)?.[1];
        return lesson(name.replace(/\.mdx$/, ''), 1, order + 1, exercise ? { exercise } : {});
      });
    expect(checkProblems(lessons, checks)).toEqual([]);
  });
});

describe('lesson facts', () => {
  const lessonsDir = `${import.meta.dirname}/../../lessons`;
  const lessonFiles = readdirSync(lessonsDir).filter((name) => name.endsWith('.mdx'));

  it('refuse a lesson that mentions the article without linking it', () => {
    expect(sourceArticleProblems('dns', 'The article notes that DNS is old.')).toEqual([
      `lessons/dns.mdx mentions the article but does not link it (${sourceArticle.url})`,
    ]);
    expect(sourceArticleProblems('dns', `[The article](${sourceArticle.url}) notes that.`)).toEqual([]);
    expect(sourceArticleProblems('dns', 'Articles about DNS abound.')).toEqual([]);
  });

  it('refuse s-maxage on a Cache-Control line that promises serving stale', () => {
    const claim = 'Cache-Control: public, max-age=0, s-maxage=60, stale-while-revalidate=30';
    expect(cacheControlProblems('cdn', `text\n${claim}\n`)).toEqual([
      expect.stringContaining('lessons/cdn.mdx pairs s-maxage with serving stale'),
    ]);
    expect(cacheControlProblems('cdn', 'Cache-Control: s-maxage=60, stale-if-error=600')).toHaveLength(1);
    expect(
      cacheControlProblems(
        'cdn',
        'Cache-Control: public, max-age=0\nCDN-Cache-Control: max-age=60, stale-while-revalidate=30',
      ),
    ).toEqual([]);
  });

  it.each(lessonFiles)('hold in lessons/%s', (file) => {
    const body = readFileSync(`${lessonsDir}/${file}`, 'utf8');
    const slug = file.replace(/\.mdx$/, '');
    expect([...sourceArticleProblems(slug, body), ...cacheControlProblems(slug, body)]).toEqual([]);
  });
});

describe('progress record', () => {
  it('reads the completed lessons', () => {
    const stored = JSON.stringify({
      lessons: { caching: { completed: true }, dns: { completed: false }, cdn: {} },
    });
    expect([...completedLessons(stored)]).toEqual(['caching']);
  });

  it.each([
    null,
    '',
    '{oops',
    'null',
    '[]',
    '{"lessons":[1]}',
    '{"lessons":{"a":true,"b":{"completed":"yes"}}}',
  ])('treats %j as no progress', (stored) => {
    expect(completedLessons(stored).size).toBe(0);
  });
});

describe('continue where you left off', () => {
  const order = ['single-server', 'dns', 'caching', 'cdn'];

  it('goes back to the last lesson visited while it is not complete', () => {
    expect(continueLesson(order, new Set(['single-server']), 'caching')).toBe('caching');
  });

  it('goes on to the next incomplete lesson after a completed one, wrapping round at the end', () => {
    expect(continueLesson(order, new Set(['caching', 'cdn']), 'caching')).toBe('single-server');
    expect(continueLesson(order, new Set(['dns', 'caching']), 'dns')).toBe('cdn');
  });

  it('starts from the beginning when no lesson was visited, or the one visited is gone', () => {
    expect(continueLesson(order, new Set(['single-server']), null)).toBe('dns');
    expect(continueLesson(order, new Set(), 'a-removed-lesson')).toBe('single-server');
  });

  it('has nowhere to go once every lesson is complete', () => {
    expect(continueLesson(order, new Set(order), 'dns')).toBeUndefined();
  });

  it('counts complete lessons the course still has', () => {
    expect(courseProgressText(order, new Set(['dns', 'cdn', 'a-removed-lesson']))).toBe(
      '2 of 4 lessons complete',
    );
  });
});

describe('cross-origin isolation headers', () => {
  it('isolate lesson pages only', () => {
    expect(isolationHeadersFor('/lessons/caching/')).toEqual({
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    expect(isolationHeadersFor('/lessons/caching/?tab=1')).toHaveProperty('Cross-Origin-Opener-Policy');
    expect(isolationHeadersFor('/')).toEqual({});
    expect(isolationHeadersFor('/phases/2/')).toEqual({});
    expect(isolationHeadersFor('/lessonsx')).toEqual({});
  });

  it('let an isolated page start workers from anywhere on the site', () => {
    expect(isolationHeadersFor('/_astro/grader.worker.js', 'worker')).toEqual({
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    expect(isolationHeadersFor('/_astro/page.js', 'script')).toEqual({});
  });
});
