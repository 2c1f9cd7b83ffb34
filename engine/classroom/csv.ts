import type { Classroom } from './classroom.ts';

/**
 * A class's results as CSV for a spreadsheet: one row per learner, one column per task.
 * Fields are quoted (RFC 4180), and a name a spreadsheet would run as a formula (= + - @, or a
 * tab or carriage return before one) gets a leading apostrophe, so opening the file runs nothing.
 */
export function csvField(value: string | number): string {
  const text = String(value);
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function resultsCsv(state: ReturnType<Classroom['state']>): string {
  const columns = state.course.flatMap((exercise) =>
    exercise.tasks.map((task) => ({
      exercise: exercise.id,
      task: task.number,
      heading: `${exercise.id} ${task.number}: ${task.title}`,
    })),
  );
  const header = ['name', 'joined', 'last seen', 'tasks passed', ...columns.map((column) => column.heading)];
  const rows = state.learners.map((learner) => {
    const cells = columns.map(({ exercise, task }) => {
      const result = learner.exercises[exercise]?.tasks[task];
      return result === undefined ? '' : result.passed ? 'passed' : 'failing';
    });
    return [
      learner.name,
      learner.joinedAt,
      learner.lastSeenAt,
      cells.filter((cell) => cell === 'passed').length,
      ...cells,
    ];
  });
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
