import { defineConfig } from 'vitest/config';
import course from '../../vitest.config.ts';
import { loadExercise } from '../course/course.ts';
import GradingReporter from '../grading/reporter.ts';
import type { GradeReport } from '../grading/results.ts';
import { climbHintLadder, terminalHintLadder } from './hint-ladder.ts';

/**
 * The vitest config of a downloaded exercise project (engine/runtime/exercise-project.ts), whose
 * grade.mjs runs it: the course's config with the reporter an exercise folder of the course gets.
 * A failing task shows the furthest hint reached; with RJ_NEXT_HINT=1 (`npm run hint`) the run is
 * quiet and climbs the hint ladder one step. The reports go to GRADE_RESULTS_FILE, so grade.mjs can
 * tell unfinished tasks (progress: exit code 0) from a run that graded nothing.
 */
// Read here, in vitest's main process, then hidden from the test threads that run the learner's code.
const outputFile = process.env.GRADE_RESULTS_FILE;
const nextHint = process.env.RJ_NEXT_HINT === '1';
delete process.env.GRADE_RESULTS_FILE;
delete process.env.RJ_NEXT_HINT;

const climb = (reports: ReadonlyMap<string, GradeReport>) => {
  const runs = [...reports.values()].map((report) => ({ exercise: loadExercise(report.exercise), report }));
  const hint = climbHintLadder(
    runs,
    true,
    (_exercise, task) =>
      `That was the last hint for task ${task}. The lesson's workspace on the course site can show the reference solution (Show solution).`,
  );
  console.log(`\n${hint ?? 'Every task passes: no hint needed.'}`);
};

export default defineConfig({
  ...course,
  test: {
    ...course.test,
    reporters: [
      new GradingReporter({
        print: !nextHint,
        hints: terminalHintLadder(true),
        ...(outputFile && { outputFile }),
        ...(nextHint && { onReports: climb }),
      }),
    ],
  },
});
