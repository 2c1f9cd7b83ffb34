import { relative } from 'node:path';
import { loadExercise } from '../course/course.ts';
import { backendsFromEnvironment, seedFromEnvironment } from '../grading/projects.ts';
import { terminalHintLadder } from './hint-ladder.ts';
import { learnerFolder, nextStepAfter } from './next-exercise.ts';
import { describeBackends, gradingCommandLine, runGrading } from './run-grading.ts';

const usage = `Grade your exercises offline, with the same graders the browser runs.

  npm run grade                      grade every exercise, show progress
  npm run grade -- cache-aside       grade one exercise (or several)
  npm run grade -- --watch           regrade whenever you save a file
  npm run grade -- --seed 1234       replay a run with the seed it printed
  npm run hint -- cache-aside        the next hint for the first unfinished task

Against real servers instead of the built-in simulations (tests/real-servers/servers.sh starts them),
name them in the course's own variables (a REDIS_URL or DATABASE_URL set for other work is ignored):
  RJ_REDIS_URL=redis://127.0.0.1:6390 RJ_DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres \\
  RJ_DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:5434/postgres npm run grade

Inside an exercise folder, npm test grades that exercise (npm run test:watch to watch, npm run hint
for the next hint). There npm test passes --unfinished-ok: unfinished tasks are progress, not an error,
so it exits 0; without it (CI) any failing task exits 1.`;

const { exercises, watch, unfinishedOk } = gradingCommandLine(usage, { watch: true, unfinishedOk: true });

try {
  seedFromEnvironment(process.env);
  const real = describeBackends(backendsFromEnvironment(process.env));
  if (real.length > 0) console.log(['Grading against real servers:', ...real].join('\n'));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const folder = learnerFolder();
const only = exercises.length === 1 && exercises[0] !== undefined ? loadExercise(exercises[0]) : undefined;
const outcome = await runGrading({
  config: 'vitest.config.ts',
  projects: exercises,
  watch,
  hints: terminalHintLadder(only?.exerciseDir === folder),
  epilogue: (reports) => nextStepAfter(reports, folder),
  watching: only
    ? `${only.manifest.id} (${relative(folder, only.exerciseDir) || 'this folder'})`
    : 'every exercise',
});
if (!watch) process.exitCode = outcome.noTaskFails || unfinishedOk ? 0 : 1;
// Leaving watch mode (q, Ctrl+C) is how it ends, not a failure: no error lines from npm after it.
else process.on('exit', () => (process.exitCode = 0));
