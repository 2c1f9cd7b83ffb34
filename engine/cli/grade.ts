import { parseArgs } from 'node:util';
import { backendsFromEnvironment, seedFromEnvironment } from '../grading/projects.ts';
import { chosenExercises, describeBackends, runGrading } from './run-grading.ts';

const usage = `Grade your exercises offline, with the same graders the browser runs.

  npm run grade                      grade every exercise, show progress
  npm run grade -- cache-aside       grade one exercise (or several)
  npm run grade -- --watch           regrade whenever you save a file
  npm run grade -- --seed 1234       replay a run with the seed it printed

Against real servers instead of the built-in simulations (tests/real-servers/servers.sh starts them):
  REDIS_URL=redis://127.0.0.1:6390 DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres \\
  DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:5434/postgres npm run grade

Inside an exercise folder, npm test grades that exercise (npm run test:watch to watch).`;

const { values, positionals } = parseArgs({
  options: {
    watch: { type: 'boolean', short: 'w', default: false },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: true,
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const exercises = chosenExercises(positionals);
// The config reads the seed and the real servers to use (if any) when vitest loads it: check them first.
if (values.seed !== undefined) process.env.GRADER_SEED = values.seed;
try {
  seedFromEnvironment(process.env);
  const real = describeBackends(backendsFromEnvironment(process.env));
  if (real.length > 0) console.log(['Grading against real servers:', ...real].join('\n'));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const outcome = await runGrading({
  config: 'vitest.config.ts',
  projects: exercises,
  watch: values.watch,
});
if (!values.watch) process.exitCode = outcome.noTaskFails ? 0 : 1;
