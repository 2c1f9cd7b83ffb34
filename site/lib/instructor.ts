import { getCollection } from 'astro:content';
import { loadCourse } from '../../engine/course/course.ts';
import { loadWrongImplementations } from '../../engine/course/wrong.ts';
import { getCourse } from './course.ts';
import type { AgendaLesson } from './instructor-agenda.ts';
import { type Guide, guideProblems } from './instructor-guide.ts';
import { mistakesByTask, type TaskMistakes } from './instructor-mistakes.ts';
import type { LessonSummary } from './outline.ts';

/**
 * The instructor's view of the course at build time: each lesson with its guide, its check's size and,
 * for a lesson with an exercise, the typical mistakes generated from the exercise's kept wrong
 * implementations. The build stops if a lesson has no guide.
 */

export interface InstructorLesson {
  lesson: LessonSummary;
  guide: Guide;
  checkQuestions: number;
  exercise?: { id: string; title: string; mistakes: TaskMistakes[] } | undefined;
  agenda: AgendaLesson;
}

let loaded: Promise<InstructorLesson[]> | undefined;

export function getInstructorCourse(): Promise<InstructorLesson[]> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<InstructorLesson[]> {
  const { lessons, checks } = await getCourse();
  const guides = new Map((await getCollection('guides')).map((entry) => [entry.id, entry.data]));
  const problems = guideProblems(lessons, guides);
  if (problems.length > 0)
    throw new Error(`The instructor guides and the lessons disagree:\n- ${problems.join('\n- ')}`);
  // The project root, as site/lib/course.ts explains.
  const exercises = new Map(loadCourse(process.cwd()).map((exercise) => [exercise.manifest.id, exercise]));
  return lessons.map((lesson) => {
    const guide = guides.get(lesson.slug) as Guide;
    const checkQuestions = checks.get(lesson.slug)?.questions.length ?? 0;
    const onDisk = lesson.exercise ? exercises.get(lesson.exercise) : undefined;
    const manifest = onDisk?.manifest;
    return {
      lesson,
      guide,
      checkQuestions,
      exercise: onDisk &&
        manifest && {
          id: manifest.id,
          title: manifest.title,
          mistakes: mistakesByTask(manifest.tasks, loadWrongImplementations(onDisk)),
        },
      agenda: {
        slug: lesson.slug,
        title: lesson.title,
        readingMinutes: lesson.readingMinutes,
        checkQuestions,
        demoMinutes: guide.minutes.demo,
        discussionMinutes: guide.minutes.discussion,
        exercise: manifest && {
          id: manifest.id,
          taskTitles: manifest.tasks.map((task) => task.title),
          estimatedMinutes: manifest.estimatedMinutes,
        },
      },
    };
  });
}

export function guideHref(slug: string): string {
  return `/instructor/guides/${slug}/`;
}
