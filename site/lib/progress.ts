import { LESSON_PROGRESS_KEY } from '../../engine/runtime/storage/lesson-progress.ts';

/**
 * Reads which lessons a learner has completed from the progress record the
 * workspace keeps in localStorage. Anything missing or malformed counts as
 * "not completed": a broken record must never break navigation.
 */

export const progressStorageKey = LESSON_PROGRESS_KEY;

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

/**
 * The last lesson page opened in this browser, for "Continue where you left off". Kept outside the
 * progress store's keys (request-journey:v1:…): it is where the learner was, not what they did, so
 * it is neither exported nor synchronised.
 */
export const lastLessonStorageKey = 'request-journey:last-lesson';

/**
 * Where to continue: the last lesson visited while it is not complete, else the next incomplete
 * lesson after it in course order (from the start when none was visited, wrapping round at the
 * end); nothing once every lesson is complete.
 */
export function continueLesson(
  courseOrder: readonly string[],
  completed: ReadonlySet<string>,
  lastVisited: string | null,
): string | undefined {
  const visited = lastVisited === null ? -1 : courseOrder.indexOf(lastVisited);
  const from = visited === -1 ? 0 : visited;
  for (let step = 0; step < courseOrder.length; step++) {
    const slug = courseOrder[(from + step) % courseOrder.length];
    if (slug !== undefined && !completed.has(slug)) return slug;
  }
  return undefined;
}

/** "4 of 10 lessons complete", counting only lessons the course has now. */
export function courseProgressText(courseOrder: readonly string[], completed: ReadonlySet<string>): string {
  const done = courseOrder.filter((slug) => completed.has(slug)).length;
  return `${done} of ${courseOrder.length} lessons complete`;
}

/** The stored progress record as text; null where there is none or storage is blocked. */
export function storedProgress(): string | null {
  try {
    return localStorage.getItem(progressStorageKey);
  } catch {
    return null;
  }
}

/** Calls `show` whenever lesson progress changes, in this page or in another tab. */
export function onProgressChange(show: () => void): void {
  window.addEventListener(progressChangedEvent, show);
  window.addEventListener('storage', (event) => {
    if (event.key === progressStorageKey || event.key === null) show();
  });
}
