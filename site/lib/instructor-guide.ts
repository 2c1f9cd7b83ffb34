import { z } from 'zod';
import type { LessonSummary } from './outline.ts';

/**
 * An instructor's guide to one lesson (lessons/guides/<lesson>.yaml). The typical mistakes of a lesson
 * with an exercise are not written here: the guide page generates them from the exercise's kept wrong
 * implementations, so they change when the graders do.
 */

const sentence = z.string().min(10);

export const guideSchema = z.object({
  /** What learners can do after the lesson, each a sentence. */
  goals: z.array(sentence).min(2).max(5),
  /** Minutes the instructor spends presenting the lesson and leading its discussion. */
  minutes: z.object({
    demo: z.number().int().positive().max(30),
    discussion: z.number().int().positive().max(30),
  }),
  /** The live demo, step by step: what to type or click, and what the room should see. */
  demo: z
    .array(z.object({ do: sentence, show: sentence }))
    .min(2)
    .max(8),
  discussion: z.array(sentence).min(2).max(5),
  /**
   * Ideas learners get wrong, written by hand: required for a lesson without an exercise, and for one
   * with an exercise, misunderstandings no grader can see (they come before the generated list).
   */
  misconceptions: z
    .array(z.object({ belief: sentence, unblock: sentence }))
    .max(6)
    .default([]),
  /** The lesson's lines on its phase's one-page cheat sheet. */
  cheatSheet: z.array(sentence).min(2).max(5),
});

export type Guide = z.infer<typeof guideSchema>;

export const guideMinimumMisconceptions = 3;

/** Every lesson has a guide, every guide a lesson, and a lesson with no exercise has mistakes written down. */
export function guideProblems(
  lessons: readonly LessonSummary[],
  guides: ReadonlyMap<string, Guide>,
): string[] {
  const problems = [...guides.keys()]
    .filter((slug) => !lessons.some((lesson) => lesson.slug === slug))
    .map((slug) => `lessons/guides/${slug}.yaml is a guide for lesson "${slug}", which does not exist`);
  for (const lesson of lessons) {
    const guide = guides.get(lesson.slug);
    if (!guide) {
      problems.push(
        `lessons/${lesson.slug}.mdx has no instructor guide: write lessons/guides/${lesson.slug}.yaml`,
      );
    } else if (!lesson.exercise && guide.misconceptions.length < guideMinimumMisconceptions) {
      problems.push(
        `lessons/guides/${lesson.slug}.yaml needs at least ${guideMinimumMisconceptions} misconceptions: lesson "${lesson.slug}" has no exercise to generate its typical mistakes from`,
      );
    }
  }
  return problems;
}
