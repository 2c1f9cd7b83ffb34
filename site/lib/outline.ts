import type { PhaseNumber, StopId } from './journey.ts';

/** What the navigation needs to know about a lesson (its frontmatter plus its slug). */
export interface LessonSummary {
  slug: string;
  title: string;
  phase: PhaseNumber;
  order: number;
  stop?: StopId | undefined;
  summary: string;
  exercise?: string | undefined;
  readingMinutes: number;
}

export interface PhaseLessons {
  phase: PhaseNumber;
  lessons: LessonSummary[];
}

export function lessonHref(slug: string): string {
  return `/lessons/${slug}/`;
}

export function phaseHref(phase: PhaseNumber): string {
  return `/phases/${phase}/`;
}

/** Course order: phase, then order within the phase. Two lessons may not share a place. */
export function inCourseOrder(lessons: readonly LessonSummary[]): LessonSummary[] {
  const sorted = [...lessons].sort((a, b) => a.phase - b.phase || a.order - b.order);
  sorted.forEach((lesson, index) => {
    const before = sorted[index - 1];
    if (before && before.phase === lesson.phase && before.order === lesson.order) {
      throw new Error(
        `lessons "${before.slug}" and "${lesson.slug}" both claim phase ${lesson.phase}, order ${lesson.order}`,
      );
    }
  });
  return sorted;
}

/** Every phase, each with its lessons (possibly none yet), in course order. */
export function byPhase(
  phases: readonly PhaseNumber[],
  lessonsInOrder: readonly LessonSummary[],
): PhaseLessons[] {
  return phases.map((phase) => ({
    phase,
    lessons: lessonsInOrder.filter((lesson) => lesson.phase === phase),
  }));
}

export function neighbours(
  lessonsInOrder: readonly LessonSummary[],
  slug: string,
): { previous: LessonSummary | undefined; next: LessonSummary | undefined } {
  const index = lessonsInOrder.findIndex((lesson) => lesson.slug === slug);
  if (index === -1) throw new Error(`no lesson "${slug}" in the course`);
  return { previous: lessonsInOrder[index - 1], next: lessonsInOrder[index + 1] };
}
