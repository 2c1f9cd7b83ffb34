import { describe, expect, it } from 'vitest';
import { loadCourse } from '../../engine/course/course.ts';
import type { ExerciseTask } from '../../engine/course/manifest.ts';
import { loadWrongImplementations } from '../../engine/course/wrong.ts';
import {
  type AgendaLesson,
  type AgendaPlan,
  exerciseMinutes,
  schedule,
  talkMinutes,
  weeklyPlan,
} from '../../site/lib/instructor-agenda.ts';
import { type Guide, guideProblems } from '../../site/lib/instructor-guide.ts';
import { codeSpans, mistakesByTask } from '../../site/lib/instructor-mistakes.ts';
import { guidePathFor } from '../../site/lib/instructor-switch.ts';
import type { LessonSummary } from '../../site/lib/outline.ts';

/** The instructor material's pure building blocks: guide rules, generated mistakes, agendas. */

function lesson(slug: string, exercise?: string): LessonSummary {
  return { slug, title: slug, phase: 1, order: 1, summary: 'A lesson summary.', readingMinutes: 5, exercise };
}

function guide(misconceptions: number): Guide {
  const line = 'A sentence long enough.';
  return {
    goals: [line, line],
    minutes: { demo: 5, discussion: 5 },
    demo: [
      { do: line, show: line },
      { do: line, show: line },
    ],
    discussion: [line, line],
    misconceptions: Array.from({ length: misconceptions }, () => ({ belief: line, unblock: line })),
    cheatSheet: [line, line],
  };
}

describe('guide rules', () => {
  it('asks for a guide for every lesson and refuses one for a lesson that does not exist', () => {
    const problems = guideProblems(
      [lesson('dns'), lesson('caching', 'cache-aside')],
      new Map([['dsn', guide(3)]]),
    );
    expect(problems).toEqual([
      'lessons/guides/dsn.yaml is a guide for lesson "dsn", which does not exist',
      'lessons/dns.mdx has no instructor guide: write lessons/guides/dns.yaml',
      'lessons/caching.mdx has no instructor guide: write lessons/guides/caching.yaml',
    ]);
  });

  it('needs written misconceptions only where no exercise generates the mistakes', () => {
    const guides = new Map([
      ['dns', guide(2)],
      ['caching', guide(0)],
    ]);
    expect(guideProblems([lesson('dns'), lesson('caching', 'cache-aside')], guides)).toEqual([
      'lessons/guides/dns.yaml needs at least 3 misconceptions: lesson "dns" has no exercise to generate its typical mistakes from',
    ]);
  });
});

describe('typical mistakes, generated', () => {
  const task = (number: number): ExerciseTask => ({
    number,
    title: `Task ${number}`,
    teaches: 'Something worth teaching.',
    hints: ['nudge', 'concept', 'code'],
  });

  it('groups kept wrong implementations under the task that rejects them, in task order', () => {
    const kept = [
      { mistake: 'third', breaks: 3, mentions: 'c' },
      { mistake: 'first', breaks: 1, mentions: 'a' },
      { mistake: 'another first', breaks: 1, mentions: 'b' },
    ];
    const grouped = mistakesByTask([task(1), task(2), task(3)], kept);
    expect(grouped.map(({ task: t, mistakes }) => [t.number, mistakes.map((m) => m.mistake)])).toEqual([
      [1, ['first', 'another first']],
      [3, ['third']],
    ]);
  });

  it('names a kept wrong implementation whose task the exercise no longer has', () => {
    expect(() => mistakesByTask([task(1)], [{ mistake: 'gone', breaks: 4, mentions: 'x' }])).toThrow(
      'task 4 ("gone")',
    );
  });

  it('lists every kept wrong implementation of every exercise exactly once', () => {
    for (const exercise of loadCourse()) {
      const kept = loadWrongImplementations(exercise);
      const listed = mistakesByTask(exercise.manifest.tasks, kept).flatMap(({ mistakes }) => mistakes);
      expect(listed, exercise.manifest.id).toHaveLength(kept.length);
      expect(new Set(listed), exercise.manifest.id).toEqual(new Set(kept));
    }
  });

  it('splits `code` out of a sentence', () => {
    expect(codeSpans('run `npm test` now')).toEqual([
      { code: false, text: 'run ' },
      { code: true, text: 'npm test' },
      { code: false, text: ' now' },
    ]);
  });
});

describe('agendas', () => {
  const withExercise: AgendaLesson = {
    slug: 'caching',
    title: 'Caching',
    readingMinutes: 12,
    checkQuestions: 0,
    demoMinutes: 10,
    discussionMinutes: 8,
    exercise: { id: 'cache-aside', taskTitles: ['a', 'b', 'c', 'd', 'e'], estimatedMinutes: 60 },
  };
  const talkOnly: AgendaLesson = {
    slug: 'dns',
    title: 'DNS',
    readingMinutes: 5,
    checkQuestions: 4,
    demoMinutes: 8,
    discussionMinutes: 5,
  };
  const lessons = [talkOnly, withExercise];
  const plan = (steps: AgendaPlan['steps'], budgetMinutes = 240): AgendaPlan => ({
    id: 'test',
    title: 'Test day',
    start: '09:00',
    budgetMinutes,
    steps,
  });

  it('shares an exercise estimate over the tasks done, in five-minute slots', () => {
    expect(exerciseMinutes(withExercise.exercise as NonNullable<AgendaLesson['exercise']>, 3)).toBe(40);
    expect(talkMinutes(talkOnly)).toBe(20);
  });

  it('puts a clock time on every row, from the lessons it names', () => {
    const { rows, totalMinutes, end } = schedule(
      plan([
        { kind: 'talk', lesson: 'dns' },
        { kind: 'break', title: 'Break', minutes: 15 },
        { kind: 'exercise', lesson: 'caching', tasks: 3 },
        { kind: 'checkpoint', detail: 'tasks 1-3 pass' },
      ]),
      lessons,
    );
    expect(rows.map((row) => [row.start, row.minutes])).toEqual([
      ['09:00', 20],
      ['09:20', 15],
      ['09:35', 60],
      ['10:35', 0],
    ]);
    expect(rows[2]?.detail).toContain('tasks 1-3 of 5');
    expect(rows[2]?.detail).toContain('the other 2 at home');
    expect([totalMinutes, end]).toEqual([95, '10:35']);
  });

  it('refuses a day that no longer fits, or names what the course lacks', () => {
    expect(() => schedule(plan([{ kind: 'exercise', lesson: 'caching', tasks: 5 }], 60), lessons)).toThrow(
      'takes 80 min, more than its 60',
    );
    expect(() => schedule(plan([{ kind: 'talk', lesson: 'dsn' }]), lessons)).toThrow('lesson "dsn"');
    expect(() => schedule(plan([{ kind: 'exercise', lesson: 'dns', tasks: 1 }]), lessons)).toThrow(
      'has none',
    );
    expect(() => schedule(plan([{ kind: 'exercise', lesson: 'caching', tasks: 6 }]), lessons)).toThrow(
      'which has 5',
    );
  });

  it('packs every lesson, in order, into weekly sessions that fit, with the rest as homework', () => {
    const many = [
      talkOnly,
      withExercise,
      { ...talkOnly, slug: 'cdn' },
      { ...withExercise, slug: 'replicas' },
    ];
    // Each session opens with a 10-minute recap: 10 + 20 + 35 + 20 fits in 90, the last lesson's 35 does not.
    const weeks = weeklyPlan(many, 90);
    expect(weeks.flatMap((week) => week.session.map((row) => row.lesson))).toEqual([
      'dns',
      'caching',
      'cdn',
      'replicas',
    ]);
    expect(weeks.map((week) => week.sessionMinutes)).toEqual([85, 45]);
    expect(weeks[0]?.homework.map((item) => [item.detail, item.minutes])).toEqual([
      ['read the lesson and take its check', 5],
      ['read the lesson; exercise cache-aside, tasks 2-5', 12 + 50],
      ['read the lesson and take its check', 5],
    ]);
  });
});

describe('the instructor bar', () => {
  it('links a lesson page to its guide, and nothing else', () => {
    expect(guidePathFor('/lessons/caching/')).toBe('/instructor/guides/caching/');
    expect(guidePathFor('/phases/1/')).toBeUndefined();
  });
});
