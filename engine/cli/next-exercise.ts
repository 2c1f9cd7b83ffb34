import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { courseRoot, type ExerciseOnDisk, loadCourse } from '../course/course.ts';
import { type GradeReport, taskOutcomes } from '../grading/results.ts';

/**
 * What to do after finishing an exercise: the next one in the order the lessons run (phase, then the
 * lesson's place in its phase), and the command that grades it from where the learner is.
 */

/** Where the learner typed the command: npm runs scripts in the package folder and says where in INIT_CWD. */
export const learnerFolder = () => resolve(process.env.INIT_CWD ?? process.cwd());

/** A lesson's `order:` in its phase, from its front matter (lessons without one go last). */
function lessonOrder(lesson: string, root: string): number {
  const file = ['mdx', 'md'].map((ext) => join(root, 'lessons', `${lesson}.${ext}`)).find(existsSync);
  const order = file && /^order:\s*(\d+)\s*$/m.exec(readFileSync(file, 'utf8').split(/^---$/m)[1] ?? '')?.[1];
  return order ? Number(order) : Number.POSITIVE_INFINITY;
}

/** Every exercise in the order a learner meets them in the lessons. */
export function courseOrder(root = courseRoot): ExerciseOnDisk[] {
  const keyed = loadCourse(root).map((exercise) => ({
    exercise,
    order: lessonOrder(exercise.manifest.lesson, root),
  }));
  keyed.sort(
    (a, b) =>
      a.exercise.manifest.phase - b.exercise.manifest.phase ||
      a.order - b.order ||
      a.exercise.manifest.id.localeCompare(b.exercise.manifest.id),
  );
  return keyed.map(({ exercise }) => exercise);
}

/** The command that grades an exercise, typed from `folder`. */
export function gradeCommand(exercise: ExerciseOnDisk, folder = learnerFolder()): string {
  return folder === exercise.exerciseDir
    ? 'npm test'
    : `cd ${relative(folder, exercise.exerciseDir)} && npm test`;
}

/**
 * After a run where every graded exercise is complete: which exercise comes next and how to start it.
 * Nothing while a task still fails or was not graded (the failure view already says what to do).
 */
export function nextStepAfter(
  reports: Map<string, GradeReport>,
  folder = learnerFolder(),
): string | undefined {
  const order = courseOrder();
  const graded = order.filter((exercise) => reports.has(exercise.manifest.id));
  const complete = graded.every((exercise) => {
    const report = reports.get(exercise.manifest.id);
    return report && taskOutcomes(report, exercise.manifest.tasks).every((task) => task.status === 'pass');
  });
  const last = graded.at(-1);
  if (!complete || last === undefined) return undefined;
  const done =
    graded.length === 1
      ? `${last.manifest.id} is complete: all ${last.manifest.tasks.length} tasks pass.`
      : `All ${graded.length} exercises graded here are complete.`;
  const next = order[order.indexOf(last) + 1];
  if (next === undefined) return `${done} That was the last exercise of the course: well done.`;
  const { manifest } = next;
  return [
    done,
    `Next in the course: ${manifest.id}, "${manifest.title}" (phase ${manifest.phase}; its lesson on the course site: /lessons/${manifest.lesson}/).`,
    `  ${gradeCommand(next, folder)}`,
  ].join('\n');
}
