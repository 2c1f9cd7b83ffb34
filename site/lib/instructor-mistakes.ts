import type { ExerciseTask, WrongImplementation } from '../../engine/course/manifest.ts';

/**
 * The typical mistakes of an exercise, for its instructor guide: the kept wrong implementations
 * (tests/<exercise>/wrong/wrong.json) grouped under the task whose grader rejects each, with that
 * task's hint ladder as the way to unblock a learner.
 */

/** `mentions` is a phrase the grader's failure message contains for the mistake. */
export type KeptMistake = Pick<WrongImplementation, 'mistake' | 'breaks' | 'mentions'>;

export interface TaskMistakes {
  task: ExerciseTask;
  mistakes: KeptMistake[];
}

export function mistakesByTask(tasks: readonly ExerciseTask[], kept: readonly KeptMistake[]): TaskMistakes[] {
  const unknown = kept.filter((wrong) => !tasks.some((task) => task.number === wrong.breaks));
  if (unknown.length > 0) {
    throw new Error(
      `a kept wrong implementation names a task the exercise does not have: ${unknown.map((wrong) => `task ${wrong.breaks} ("${wrong.mistake}")`).join(', ')}`,
    );
  }
  return tasks
    .map((task) => ({ task, mistakes: kept.filter((wrong) => wrong.breaks === task.number) }))
    .filter(({ mistakes }) => mistakes.length > 0);
}

/** Text with `code` spans, as the manifests and wrong.json write them, split for rendering. */
export function codeSpans(text: string): { code: boolean; text: string }[] {
  return text
    .split('`')
    .map((part, index) => ({ code: index % 2 === 1, text: part }))
    .filter((part) => part.text !== '');
}
