import { z } from 'zod';

/**
 * A lesson's check: a few questions that complete a lesson with no exercise.
 * Authored in lessons/checks/<lesson slug>.yaml; this schema is what the
 * build accepts, so a mistake there fails the build with its place named.
 */

const question = z
  .object({
    prompt: z.string().min(10),
    choices: z.array(z.string().min(1)).min(2).max(5),
    /** The right choice, counting from 1 as the page shows them. */
    answer: z.number().int().positive(),
    /** Why the right choice is right, shown once the learner has answered. */
    explanation: z.string().min(20),
  })
  .refine((q) => q.answer <= q.choices.length, {
    message: 'answer must be the number of one of the choices, counting from 1',
    path: ['answer'],
  })
  .refine((q) => new Set(q.choices).size === q.choices.length, {
    message: 'two choices have the same text',
    path: ['choices'],
  });

export const lessonCheckSchema = z.object({ questions: z.array(question).min(3).max(5) });

export type LessonCheck = z.infer<typeof lessonCheckSchema>;
export type CheckQuestion = LessonCheck['questions'][number];
