import { relative } from 'node:path';
import { courseRoot } from '../course/course.ts';
import { climbHintLadder } from './hint-ladder.ts';
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

const runs = courseOrder()
  .filter((exercise) => exercises.includes(exercise.manifest.id))
  .map((exercise) => ({ exercise, report: reports.get(exercise.manifest.id) }));
const inExerciseFolder = runs.some(({ exercise }) => exercise.exerciseDir === folder);
const hint = climbHintLadder(runs, inExerciseFolder, (exercise, task) => {
  const [editable = ''] = exercise.manifest.files.editable;
  const yours = relative(folder, `${exercise.exerciseDir}/${editable}`);
  const solution = relative(folder, `${courseRoot}/solutions/${exercise.manifest.id}/${editable}`);
  return (
    `That was the last hint for task ${task}. To compare your code with the reference solution:\n` +
    `  git diff --no-index ${yours} ${solution}`
  );
});
console.log(`\n${hint ?? `Every task passes: no hint needed.\n${nextStepAfter(reports, folder) ?? ''}`}`);
// Failing tests are what a hint is for: vitest's failure exit code does not apply here.
process.exitCode = 0;
