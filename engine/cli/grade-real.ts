import { BACKEND_VARIABLES, type Backends, backendsFromEnvironment } from '../grading/projects.ts';
import { describeBackends, gradingCommandLine, runGrading } from './run-grading.ts';

/**
 * `npm run grade:real`: grades every reference solution (the `<id>:solution`
 * projects of tests/self-check.vitest.ts) against the real servers named in
 * the environment, to prove that graders and solutions hold on real Redis and
 * PostgreSQL, not only on the simulations. CI runs it after
 * tests/real-servers/servers.sh start.
 */

const usage = `Grade the reference solutions against real Redis and PostgreSQL.

  eval "$(tests/real-servers/servers.sh env)"   (after: tests/real-servers/servers.sh start)
  npm run grade:real                 every exercise's reference solution
  npm run grade:real -- cache-aside  only some exercises
  npm run grade:real -- --seed 1234  replay a run with the seed it printed

Reads RJ_REDIS_URL, RJ_DATABASE_URL and RJ_DATABASE_REPLICA_URLS (comma-separated); the generic
REDIS_URL and DATABASE_URL are ignored. Tests that need a simulation a real server cannot give are
listed as not graded. Exits non-zero if any task fails.`;

const { exercises } = gradingCommandLine(usage, { watch: false });

let backends: Backends;
try {
  backends = backendsFromEnvironment(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (Object.keys(backends).length === 0) {
  const generic = ['REDIS_URL', 'DATABASE_URL', 'DATABASE_REPLICA_URLS'].filter((name) => process.env[name]);
  console.error(
    `No real servers named: set ${Object.values(BACKEND_VARIABLES).join(', ')}, e.g.\n` +
      '  tests/real-servers/servers.sh start && eval "$(tests/real-servers/servers.sh env)"\n' +
      (generic.length > 0
        ? `(${generic.join(' and ')} ${generic.length > 1 ? 'are' : 'is'} set but not read: the course reads only its own RJ_ names.)\n`
        : '') +
      'Without them the graders use their simulations: npm test checks that case.',
  );
  process.exit(2);
}

console.log(['Reference solutions against real servers:', ...describeBackends(backends)].join('\n'));

const { reports, noTaskFails } = await runGrading({
  config: 'tests/self-check.vitest.ts',
  projects: exercises.map((id) => `${id}:solution`),
});
const missing = exercises.filter((id) => !reports.has(`${id}:solution`));
if (missing.length > 0) console.error(`No results for the solution of ${missing.join(', ')}.`);
process.exitCode = noTaskFails && missing.length === 0 ? 0 : 1;
