import { getCollection } from 'astro:content';
import { loadCourse } from '../../engine/course/course.ts';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import type { LessonCheck } from './lesson-check.ts';
import {
  cacheControlProblems,
  checkProblems,
  lessonExerciseProblems,
  sourceArticleProblems,
} from './lesson-rules.ts';
import { inCourseOrder, type LessonSummary } from './outline.ts';

/**
 * The course as the site sees it at build time: the lessons collection in
 * course order, the exercise manifests and the lesson checks, checked against
 * each other.
 */

export interface Course {
  lessons: LessonSummary[];
  exercises: ReadonlyMap<string, ExerciseManifest>;
  /** Lesson checks by lesson slug. */
  checks: ReadonlyMap<string, LessonCheck>;
}

let loaded: Promise<Course> | undefined;

export function getCourse(): Promise<Course> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<Course> {
  const entries = await getCollection('lessons');
  const checks = new Map((await getCollection('checks')).map((entry) => [entry.id, entry.data]));
  // The project root, as Astro itself assumes: inside the bundled build, engine/'s own
  // import.meta.url points into dist/, so its default root would be wrong.
  const exercises = new Map(loadCourse(process.cwd()).map(({ manifest }) => [manifest.id, manifest]));
  const lessons = inCourseOrder(entries.map((entry) => ({ slug: entry.id, ...entry.data })));
  const problems = entries.flatMap((entry) => {
    const lesson = lessons.find((candidate) => candidate.slug === entry.id);
    const body = entry.body ?? '';
    return [
      ...(lesson ? lessonExerciseProblems(lesson, body, exercises) : []),
      ...sourceArticleProblems(entry.id, body),
      ...cacheControlProblems(entry.id, body),
    ];
  });
  problems.push(...checkProblems(lessons, [...checks.keys()]));
  if (problems.length > 0) throw new Error(`The lessons and exercises disagree:\n- ${problems.join('\n- ')}`);
  return { lessons, exercises, checks };
}

export async function exerciseForLesson(slug: string): Promise<ExerciseManifest> {
  const { lessons, exercises } = await getCourse();
  const id = lessons.find((lesson) => lesson.slug === slug)?.exercise;
  const manifest = id ? exercises.get(id) : undefined;
  if (!manifest) throw new Error(`lessons/${slug}.mdx uses <Workspace /> but has no exercise`);
  return manifest;
}
