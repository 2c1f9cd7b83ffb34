import { z } from 'zod';

/**
 * The shape of a learner's saved progress, one version at a time. A release
 * that changes it raises SCHEMA_VERSION and adds a migration from the previous
 * version, so stored work and exported files of every earlier release load.
 */
export const SCHEMA_VERSION = 1;

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'use lowercase words joined by hyphens');
const taskNumber = z.string().regex(/^[1-9]\d*$/, 'a task number');

export const exerciseStateSchema = z.object({
  /** The learner's code by editable file name; a file not here is still the starter. */
  files: z.record(z.string(), z.string()),
  /** Tasks that passed in the last run. */
  passedTasks: z.array(z.number().int().positive()),
  /**
   * The code the last run graded: its results describe that code, and are out of date once the code
   * differs. Absent in progress saved before results remembered their code (taken as current).
   */
  gradedFiles: z.record(z.string(), z.string()).optional(),
  /** How many steps of each task's hints ladder are shown, by task number. */
  hintsRevealed: z.record(taskNumber, z.number().int().nonnegative()),
});
export type ExerciseState = z.infer<typeof exerciseStateSchema>;

export const lessonsSchema = z.record(
  slug,
  z.object({
    completed: z.boolean(),
    /** For a lesson completed by its check rather than an exercise: the questions answered right. */
    passedQuestions: z.array(z.number().int().positive()).optional(),
  }),
);

export const preferencesSchema = z.object({ runner: z.enum(['auto', 'webcontainer', 'worker']) });
export type Preferences = z.infer<typeof preferencesSchema>;

export const progressSchema = z.object({
  lessons: lessonsSchema,
  exercises: z.record(slug, exerciseStateSchema),
  preferences: preferencesSchema,
});
/** Everything a learner has: what the store holds and what an export file carries. */
export type Progress = z.infer<typeof progressSchema>;

/** Progress as stored by some earlier version, before it is migrated and checked. */
export interface StoredProgress {
  lessons?: unknown;
  exercises: Record<string, unknown>;
  preferences?: unknown;
}

/** Turns progress of version N into version N + 1. */
export type Migration = (progress: StoredProgress) => StoredProgress;

/** By the version they upgrade from. None yet: version 1 is the first. */
export const migrations: Record<number, Migration> = {};

export const EXPORT_FORMAT = 'request-journey-progress';

export const exportFileSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  schemaVersion: z.number().int().positive(),
  exportedAt: z.string(),
  lessons: z.unknown(),
  exercises: z.record(z.string(), z.unknown()),
  preferences: z.unknown(),
});

export const emptyExercise = (): ExerciseState => ({ files: {}, passedTasks: [], hintsRevealed: {} });
export const defaultPreferences = (): Preferences => ({ runner: 'auto' });

/** Upgrades progress stored at `from` to `to` with the migrations between them. */
export function migrate(
  progress: StoredProgress,
  from: number,
  to: number,
  steps: Record<number, Migration>,
): StoredProgress {
  let current = progress;
  for (let version = from; version < to; version++) {
    const step = steps[version];
    if (!step) throw new Error(`no migration from version ${version} of saved progress`);
    current = step(current);
  }
  return current;
}

/** zod's issues as lines a learner can act on: where, and what is wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(the file)'}: ${issue.message}`).join('\n');
}
