import { relative } from 'node:path';
import { courseRoot } from '../course/course.ts';
import { taskOutcomes } from '../grading/results.ts';
import { hintCommand, rememberRevealed, revealedHints } from './hint-ladder.ts';
import { courseOrder, learnerFolder, nextStepAfter } from './next-exercise.ts';
import { gradingCommandLine, runGrading } from './run-grading.ts';

const usage = `The next hint for your first unfinished task, one step of the ladder at a time
(a nudge, then the concept, then a code-shaped hint).

  npm run hint                       in an exercise folder: that exercise
  npm run hint -- cache-aside        from the top of the course: that exercise
  npm run hint                       from the top of the course: the first exercise with a task to do

It grades your code first (quietly), so the hint is for the task that fails now. Every later npm test
shows the last hint you reached under the failure.`;

const { exercises } = gradingCommandLine(usage, { watch: false });
const folder = learnerFolder();

console.log(
  `Grading ${exercises.length === 1 ? exercises[0] : `${exercises.length} exercises`} to find your first unfinished task...`,
);
const { reports } = await runGrading({ config: 'vitest.config.ts', projects: exercises, print: false });

const firstUnfinished = courseOrder()
  .filter((exercise) => exercises.includes(exercise.manifest.id))
  .flatMap((exercise) => {
    const report = reports.get(exercise.manifest.id);
    const task =
      report && taskOutcomes(report, exercise.manifest.tasks).find((outcome) => outcome.status === 'fail');
    return task ? [{ exercise, task }] : [];
  })[0];

if (firstUnfinished === undefined) {
  console.log(`\nEvery task passes: no hint needed.\n${nextStepAfter(reports, folder) ?? ''}`);
} else {
  const { exercise, task } = firstUnfinished;
  const { id } = exercise.manifest;
  const hints = exercise.manifest.tasks[task.number - 1]?.hints ?? [];
  const shown = revealedHints(id, task.number);
  const next = Math.min(shown + 1, hints.length);
  rememberRevealed(id, task.number, next);
  console.log(`\n${id}, task ${task.number}: ${task.title}, hint ${next} of ${hints.length}`);
  console.log(`  ${hints[next - 1] ?? ''}\n`);
  if (next < hints.length) {
    console.log(
      `Still stuck? ${hintCommand(id, exercise.exerciseDir === folder)} again shows hint ${next + 1} of ${hints.length}.`,
    );
  } else {
    const [editable = ''] = exercise.manifest.files.editable;
    const yours = relative(folder, `${exercise.exerciseDir}/${editable}`);
    const solution = relative(folder, `${courseRoot}/solutions/${id}/${editable}`);
    console.log(
      `That was the last hint for task ${task.number}. To compare your code with the reference solution:\n` +
        `  git diff --no-index ${yours} ${solution}`,
    );
  }
}
// Failing tests are what a hint is for: vitest's failure exit code does not apply here.
process.exitCode = 0;
