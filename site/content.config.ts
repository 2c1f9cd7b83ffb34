import { defineCollection, z } from 'astro:content';
import { glob } from 'astro/loaders';
import { guideSchema } from './lib/instructor-guide.ts';
import { stopIds } from './lib/journey.ts';
import { lessonCheckSchema } from './lib/lesson-check.ts';

/** The lesson frontmatter contract shared with the lesson writers (see the lessons contract). */
const lessons = defineCollection({
  loader: glob({ pattern: '*.mdx', base: './lessons' }),
  schema: z.object({
    title: z.string().min(3),
    phase: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    order: z.number().int().positive(),
    stop: z.enum(stopIds).optional(),
    summary: z.string().min(10),
    exercise: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'an exercise id: lowercase words joined by hyphens')
      .optional(),
    readingMinutes: z.number().int().positive(),
  }),
});

/** Questions that complete a lesson without an exercise, one file per lesson, named by its slug. */
const checks = defineCollection({
  loader: glob({ pattern: '*.yaml', base: './lessons/checks' }),
  schema: lessonCheckSchema,
});

/** Instructor guides, one file per lesson, named by its slug (see site/lib/instructor-guide.ts). */
const guides = defineCollection({
  loader: glob({ pattern: '*.yaml', base: './lessons/guides' }),
  schema: guideSchema,
});

export const collections = { lessons, checks, guides };
