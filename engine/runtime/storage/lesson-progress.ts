/**
 * The one stored value pages read outside the workspace: which lessons are
 * complete, for the course outline's ticks. Kept apart from the store (no zod)
 * so reading it costs the outline nothing.
 */
export const LESSON_PROGRESS_KEY = 'request-journey:v1:progress';

export type LessonProgress = Record<string, { completed: boolean; passedQuestions?: number[] }>;

/** Completed lessons by slug; nothing (never an error) when storage is empty, blocked or unreadable. */
export function readLessonProgress(storage: Pick<Storage, 'getItem'> | undefined): LessonProgress {
  try {
    const stored: unknown = JSON.parse(storage?.getItem(LESSON_PROGRESS_KEY) ?? '{}');
    const lessons = (stored as { lessons?: unknown }).lessons;
    if (typeof lessons !== 'object' || lessons === null) return {};
    return Object.fromEntries(
      Object.entries(lessons).map(([slug, value]) => {
        const { completed, passedQuestions } = (value ?? {}) as {
          completed?: unknown;
          passedQuestions?: unknown;
        };
        const passed = Array.isArray(passedQuestions)
          ? passedQuestions.filter(
              (question): question is number => Number.isInteger(question) && question > 0,
            )
          : undefined;
        return [
          slug,
          passed
            ? { completed: completed === true, passedQuestions: passed }
            : { completed: completed === true },
        ];
      }),
    );
  } catch {
    return {};
  }
}
