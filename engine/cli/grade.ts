import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startVitest } from 'vitest/node';
import { courseRoot, loadCourse } from '../course/course.ts';
import GradingReporter from '../grading/reporter.ts';
import { taskOutcomes } from '../grading/results.ts';

const usage = `Grade your exercises offline, with the same graders the browser runs.

  npm run grade                      grade every exercise, show progress
  npm run grade -- cache-aside       grade one exercise (or several)
  npm run grade -- --watch           regrade whenever you save a file
  npm run grade -- --seed 1234       replay a run with the seed it printed

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

const course = loadCourse();
const known = course.map((exercise) => exercise.manifest.id);
const unknown = positionals.filter((id) => !known.includes(id));
if (unknown.length > 0) {
  console.error(`No exercise called ${unknown.join(', ')}. The exercises are: ${known.join(', ')}.`);
  process.exit(2);
}
// The config reads the seed when vitest loads it.
if (values.seed !== undefined) process.env.GRADER_SEED = values.seed;

let allTasksPass = false;
const reporter = new GradingReporter({
  print: true,
  onReports: (reports) => {
    allTasksPass = [...reports.values()].every((report) => {
      const manifest = course.find((exercise) => exercise.manifest.id === report.exercise)?.manifest;
      return (
        manifest !== undefined && taskOutcomes(report, manifest.tasks).every((task) => task.status === 'pass')
      );
    });
  },
});

const vitest = await startVitest('test', [], {
  root: courseRoot,
  config: join(courseRoot, 'vitest.config.ts'),
  project: positionals.length > 0 ? positionals : known,
  watch: values.watch,
  reporters: [reporter],
});

if (!values.watch) {
  await vitest.close();
  process.exitCode = allTasksPass ? 0 : 1;
}
