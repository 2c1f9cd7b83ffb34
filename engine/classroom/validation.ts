import { z } from 'zod';
import { describeIssues } from '../runtime/storage/schema.ts';

/** The shapes of the bodies the classroom API accepts; anything else is refused with what is wrong. */

/** A learner's failing message, as the grader wrote it. */
export const MAX_MESSAGE_CHARS = 2000;
/** Code shared with a raised hand: all files together, in UTF-8 bytes. */
export const MAX_SHARED_CODE_BYTES = 16 * 1024;
export const MAX_NAME_CHARS = 40;

const name = z
  .string()
  .transform((text) => text.trim())
  .pipe(
    z
      .string()
      .min(1, 'a name is needed')
      .max(MAX_NAME_CHARS, `a name has at most ${MAX_NAME_CHARS} characters`),
  );
const taskNumber = z.number().int().positive();
const message = z.string().max(MAX_MESSAGE_CHARS, `a message has at most ${MAX_MESSAGE_CHARS} characters`);
const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'an ISO date and time');

export const joinSchema = z.object({ classCode: z.string().min(1).max(20), name });

export const reportSchema = z.object({
  reportId: z.string().min(1).max(100),
  exercise: z.string().min(1).max(100),
  at: isoTime,
  tasks: z
    .array(
      z.object({
        task: taskNumber,
        title: z.string().max(200),
        passed: z.boolean(),
        message: message.optional(),
      }),
    )
    .min(1, 'a report has at least one task')
    .max(100),
});
export type Report = z.infer<typeof reportSchema>;

export const handSchema = z.object({
  exercise: z.string().min(1).max(100),
  task: taskNumber,
  message: message.optional(),
  code: z.record(z.string().max(200), z.string()).optional(),
});
export type HandRequest = z.infer<typeof handSchema>;

export const newClassSchema = z.object({ name });

/** An item of an import: a progress export file, or one with the learner's name beside it. */
export const importItemSchema = z.union([
  z.object({ name, file: z.unknown() }),
  z.object({ format: z.string() }).passthrough(),
]);
export const importSchema = z.array(importItemSchema).min(1, 'choose at least one progress file').max(500);

export class InvalidRequest extends Error {}

/** Parses a body with a schema, or throws InvalidRequest whose message names what is wrong. */
export function parseBody<Schema extends z.ZodTypeAny>(schema: Schema, body: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new InvalidRequest(
      `The request is not valid: ${describeIssues(parsed.error).replaceAll('\n', '; ')}.`,
    );
  return parsed.data;
}
