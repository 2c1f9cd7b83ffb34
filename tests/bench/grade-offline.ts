import { spawnSync } from 'node:child_process';
import { courseRoot } from '../../engine/course/course.ts';

/**
 * How long offline grading takes for a learner: `npm run grade` over every
 * exercise, start to finish (vitest start-up included), run several times.
 * Prints the median and the spread; the README records the figures.
 */
const runs = Number(process.argv[2] ?? 5);
const timings: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  // Exit status 1 only means some tasks fail (the starters do); a crash has no table.
  const result = spawnSync('npx', ['tsx', 'engine/cli/grade.ts'], { cwd: courseRoot, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (!result.stdout.includes('exercise')) {
    console.error(result.stdout, result.stderr);
    throw new Error('grading did not print its progress table');
  }
  timings.push(elapsed);
  console.log(`run ${i + 1}: ${(elapsed / 1000).toFixed(2)} s`);
}
timings.sort((a, b) => a - b);
const median = timings[Math.floor(timings.length / 2)] ?? 0;
console.log(
  `\ngrading all exercises offline (npm run grade): median ${(median / 1000).toFixed(2)} s, ` +
    `min ${((timings[0] ?? 0) / 1000).toFixed(2)} s, max ${((timings.at(-1) ?? 0) / 1000).toFixed(2)} s over ${runs} runs`,
);
