import { z } from 'zod';

/**
 * The exercise manifest: the single source of truth that the site, the offline
 * grader and the self-check all read. One `exercise.json` per exercise folder.
 */

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lowercase words joined by hyphens');
const relativePath = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'must be a relative path inside the course',
  );

export const taskSchema = z.object({
  number: z.number().int().positive(),
  title: z.string().min(3),
  teaches: z.string().min(10),
  hints: z
    .array(z.string().min(5))
    .min(3, 'a hints ladder needs at least 3 steps: a nudge, the concept, a code-shaped hint'),
});

export const manifestSchema = z
  .object({
    id: slug,
    title: z.string().min(3),
    phase: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    lesson: slug,
    estimatedMinutes: z.number().int().positive().max(240),
    summary: z.string().min(10),
    /** A few sentences for the learner: what the grader simulates and how it judges. */
    howGraded: z.string().min(20),
    tasks: z.array(taskSchema).min(1),
    files: z.object({
      /** Files the learner edits, relative to the exercise folder (and to its solution folder). */
      editable: z.array(relativePath).min(1),
      /** The grader test file, relative to the course root. */
      grader: relativePath,
      /** Other read-only files the learner may open (harness, contract), relative to the course root. */
      readOnly: z.array(relativePath),
    }),
  })
  .superRefine((manifest, ctx) => {
    manifest.tasks.forEach((task, index) => {
      if (task.number !== index + 1) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['tasks', index, 'number'],
          message: `tasks must be numbered 1, 2, 3... in order; expected ${index + 1}, found ${task.number}`,
        });
      }
    });
  });

export type ExerciseManifest = z.infer<typeof manifestSchema>;
export type ExerciseTask = z.infer<typeof taskSchema>;

/** Validates parsed JSON against a schema; the error names the file and every offending field. */
export function parseWith<T extends z.ZodTypeAny>(
  schema: T,
  json: unknown,
  file: string,
  what: string,
): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`${file} is not a valid ${what}:\n${problems.join('\n')}`);
}

export function parseManifest(json: unknown, file: string): ExerciseManifest {
  return parseWith(manifestSchema, json, file, 'exercise manifest');
}

/**
 * A deliberately wrong implementation kept beside a grader, and the task that must reject it.
 * It is stored as a unified diff against the reference solution, so the bug is exactly the hunk.
 */
export const wrongImplementationSchema = z.object({
  patch: z.string().regex(/^[a-z0-9-]+\.diff$/, 'a kebab-case .diff file in the wrong/ folder'),
  breaks: z.number().int().positive(),
  mistake: z.string().min(10),
  /** A phrase the failure message must contain, proving the grader names the mistake. */
  mentions: z.string().min(3),
});

export const wrongCatalogSchema = z
  .array(wrongImplementationSchema)
  .min(4, 'keep at least four wrong implementations');
export type WrongImplementation = z.infer<typeof wrongImplementationSchema>;

/**
 * A mutant of a reference solution that no correct grader can kill, and why: mutation
 * testing (npm run check:mutation) fails on every surviving mutant not listed here.
 */
export const equivalentMutantSchema = z.object({
  mutator: z.string().min(1),
  /** The exact source text the mutant replaced, and what it put there. */
  original: z.string(),
  replacement: z.string(),
  /** Only where the same original and replacement occur more than once in the file. */
  line: z.number().int().positive().optional(),
  reason: z.string().min(20, 'say why no correct grader can tell this mutant from the solution'),
});
export const equivalentMutantsSchema = z.array(equivalentMutantSchema);
export type EquivalentMutant = z.infer<typeof equivalentMutantSchema>;
