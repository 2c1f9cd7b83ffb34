/**
 * Reads which lessons a learner has completed from the progress record the
 * workspace keeps in localStorage. Anything missing or malformed counts as
 * "not completed": a broken record must never break navigation.
 */

export const progressStorageKey = 'request-journey:v1:progress';

/** Dispatched on `window` by whoever updates the record, so open pages refresh their ticks. */
export const progressChangedEvent = 'request-journey:progress-changed';

export function completedLessons(stored: string | null): Set<string> {
  const completed = new Set<string>();
  if (!stored) return completed;
  let record: unknown;
  try {
    record = JSON.parse(stored);
  } catch {
    return completed;
  }
  const lessons = isObject(record) ? record.lessons : undefined;
  if (!isObject(lessons)) return completed;
  for (const [slug, state] of Object.entries(lessons)) {
    if (isObject(state) && state.completed === true) completed.add(slug);
  }
  return completed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
