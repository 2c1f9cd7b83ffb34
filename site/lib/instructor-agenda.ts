/**
 * Workshop agendas whose timings follow the course: a lesson's slot is computed from its guide's
 * demo and discussion minutes, its readingMinutes, its check's questions and its exercise's
 * estimate (shared out over the tasks done in the room), so a lesson that grows moves the clock.
 */

export interface AgendaLesson {
  slug: string;
  title: string;
  readingMinutes: number;
  /** Questions in the lesson's check (0 when it has an exercise instead). */
  checkQuestions: number;
  demoMinutes: number;
  discussionMinutes: number;
  exercise?: { id: string; taskTitles: readonly string[]; estimatedMinutes: number } | undefined;
}

/** A lesson taught as a talk (demo and discussion), or with its exercise's first `tasks` tasks in the room. */
export type PlanStep =
  | { kind: 'talk'; lesson: string }
  | { kind: 'exercise'; lesson: string; tasks: number }
  | { kind: 'session'; title: string; detail: string; minutes: number }
  | { kind: 'break'; title: string; minutes: number }
  | { kind: 'checkpoint'; detail: string };

export interface AgendaPlan {
  id: string;
  title: string;
  /** When the day starts, HH:MM. */
  start: string;
  /** The most the plan may take, breaks included. */
  budgetMinutes: number;
  steps: readonly PlanStep[];
}

export interface AgendaRow {
  kind: PlanStep['kind'];
  start: string;
  minutes: number;
  title: string;
  detail: string;
  /** The lesson the row teaches, for a link to its guide. */
  lesson?: string | undefined;
}

const slotMinutes = (minutes: number) => Math.ceil(minutes / 5) * 5;

/** Working time for the first `tasks` tasks: the exercise's estimate shared evenly over its tasks. */
export function exerciseMinutes(exercise: NonNullable<AgendaLesson['exercise']>, tasks: number): number {
  return slotMinutes((exercise.estimatedMinutes * tasks) / exercise.taskTitles.length);
}

/** A talk: the demo, the check's questions answered in the room (a minute each), the discussion. */
export function talkMinutes(lesson: AgendaLesson): number {
  return slotMinutes(lesson.demoMinutes + lesson.checkQuestions + lesson.discussionMinutes);
}

function lessonNamed(lessons: readonly AgendaLesson[], slug: string): AgendaLesson {
  const lesson = lessons.find((candidate) => candidate.slug === slug);
  if (!lesson) throw new Error(`the agenda names lesson "${slug}", which does not exist`);
  return lesson;
}

function taskRange(count: number, total: number): string {
  if (count === total) return `all ${total} tasks`;
  return count === 1 ? 'task 1' : `tasks 1-${count} of ${total}`;
}

function stepRow(step: PlanStep, lessons: readonly AgendaLesson[]): Omit<AgendaRow, 'start'> {
  switch (step.kind) {
    case 'talk': {
      const lesson = lessonNamed(lessons, step.lesson);
      const check = lesson.checkQuestions > 0 ? ', the room answers the check' : '';
      return {
        kind: step.kind,
        minutes: talkMinutes(lesson),
        title: lesson.title,
        detail: `Talk: demo${check}, discussion`,
        lesson: lesson.slug,
      };
    }
    case 'exercise': {
      const lesson = lessonNamed(lessons, step.lesson);
      const { exercise } = lesson;
      if (!exercise)
        throw new Error(`the agenda works the exercise of lesson "${lesson.slug}", which has none`);
      if (step.tasks < 1 || step.tasks > exercise.taskTitles.length) {
        throw new Error(
          `the agenda works ${step.tasks} tasks of ${exercise.id}, which has ${exercise.taskTitles.length}`,
        );
      }
      const rest = exercise.taskTitles.length - step.tasks;
      return {
        kind: step.kind,
        minutes: slotMinutes(
          lesson.demoMinutes + exerciseMinutes(exercise, step.tasks) + lesson.discussionMinutes,
        ),
        title: lesson.title,
        detail: `Demo, then exercise ${exercise.id}: ${taskRange(step.tasks, exercise.taskTitles.length)} (${exerciseMinutes(exercise, step.tasks)} min), discussion${rest > 0 ? `; the other ${rest} at home` : ''}`,
        lesson: lesson.slug,
      };
    }
    case 'session':
      return { kind: step.kind, minutes: step.minutes, title: step.title, detail: step.detail };
    case 'break':
      return { kind: step.kind, minutes: step.minutes, title: step.title, detail: '' };
    case 'checkpoint':
      return { kind: step.kind, minutes: 0, title: 'Checkpoint', detail: step.detail };
  }
}

function clock(start: string, minutes: number): string {
  const [hours = 0, mins = 0] = start.split(':').map(Number);
  const total = hours * 60 + mins + minutes;
  return `${String(Math.floor(total / 60) % 24).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

export interface Schedule {
  rows: AgendaRow[];
  totalMinutes: number;
  end: string;
}

/** The plan with a start time on every row; throws when it names what the course lacks or overruns. */
export function schedule(plan: AgendaPlan, lessons: readonly AgendaLesson[]): Schedule {
  let elapsed = 0;
  const rows = plan.steps.map((step) => {
    const row = { ...stepRow(step, lessons), start: clock(plan.start, elapsed) };
    elapsed += row.minutes;
    return row;
  });
  if (elapsed > plan.budgetMinutes) {
    throw new Error(
      `the ${plan.title} agenda takes ${elapsed} min, more than its ${plan.budgetMinutes}: the lessons grew, so move one to the take-home list`,
    );
  }
  return { rows, totalMinutes: elapsed, end: clock(plan.start, elapsed) };
}

export interface CourseWeek {
  week: number;
  /** In the session: each lesson presented, with its exercise's first task worked in the room. */
  session: AgendaRow[];
  sessionMinutes: number;
  /** Before the next session: the reading, the checks and the rest of each exercise. */
  homework: { lesson: string; title: string; minutes: number; detail: string }[];
  homeworkMinutes: number;
}

/**
 * The multi-week course: every lesson in course order, packed into weekly sessions of at most
 * `sessionMinutes` (with a recap at the start and a checkpoint at the end), the rest as homework.
 */
export function weeklyPlan(lessons: readonly AgendaLesson[], sessionMinutes: number): CourseWeek[] {
  const recap = 10;
  const weeks: CourseWeek[] = [];
  let week: CourseWeek | undefined;
  for (const lesson of lessons) {
    const step: PlanStep = lesson.exercise
      ? { kind: 'exercise', lesson: lesson.slug, tasks: 1 }
      : { kind: 'talk', lesson: lesson.slug };
    const row = stepRow(step, lessons);
    if (recap + row.minutes > sessionMinutes) {
      throw new Error(
        `lesson "${lesson.slug}" takes ${row.minutes} min, more than a ${sessionMinutes}-minute session`,
      );
    }
    if (!week || week.sessionMinutes + row.minutes > sessionMinutes) {
      week = { week: weeks.length + 1, session: [], sessionMinutes: recap, homework: [], homeworkMinutes: 0 };
      weeks.push(week);
    }
    week.session.push({ ...row, start: clock('00:00', week.sessionMinutes) });
    week.sessionMinutes += row.minutes;
    const rest = lesson.exercise ? lesson.exercise.taskTitles.length - 1 : 0;
    const homework = {
      lesson: lesson.slug,
      title: lesson.title,
      minutes:
        lesson.readingMinutes + (lesson.exercise && rest > 0 ? exerciseMinutes(lesson.exercise, rest) : 0),
      detail: !lesson.exercise
        ? 'read the lesson and take its check'
        : rest > 0
          ? `read the lesson; exercise ${lesson.exercise.id}, tasks 2-${lesson.exercise.taskTitles.length}`
          : 'read the lesson',
    };
    week.homework.push(homework);
    week.homeworkMinutes += homework.minutes;
  }
  return weeks;
}
