import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { courseRoot } from '../../engine/course/course.ts';

/**
 * How long grading one exercise's reference solution takes offline: one vitest run of its grader (the
 * configuration `npm run check:mutation` uses), several times. Prints the median and spread of the
 * whole process (vitest start-up included) and of the tests alone (the sum of their durations), which
 * the README's Measured table records. `npx tsx tests/bench/grade-exercise.ts rate-limiter [runs]`.
 */
const [id, runsArgument] = process.argv.slice(2);
if (!id) throw new Error('usage: tsx tests/bench/grade-exercise.ts <exercise> [runs]');
const runs = Number(runsArgument ?? 7);

const outDir = mkdtempSync(join(tmpdir(), 'grade-exercise-'));
const whole: number[] = [];
const tests: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const output = join(outDir, `run-${i}.json`);
    const started = performance.now();
    const result = spawnSync(
      'npx',
      [
        'vitest',
        'run',
        '--config',
        'engine/grading/mutation.vitest.ts',
        '--reporter=json',
        `--outputFile=${output}`,
      ],
      { cwd: courseRoot, encoding: 'utf8', env: { ...process.env, MUTATION_EXERCISE: id } },
    );
    const elapsed = performance.now() - started;
    if (result.status !== 0) {
      console.error(result.stdout, result.stderr);
      throw new Error(`grading the ${id} solution failed`);
    }
    const report = JSON.parse(readFileSync(output, 'utf8')) as {
      testResults: Array<{ assertionResults: Array<{ duration?: number }> }>;
    };
    const testMs = report.testResults
      .flatMap((file) => file.assertionResults)
      .reduce((total, test) => total + (test.duration ?? 0), 0);
    whole.push(elapsed);
    tests.push(testMs);
    console.log(`run ${i + 1}: ${(elapsed / 1000).toFixed(2)} s, tests ${(testMs / 1000).toFixed(2)} s`);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const s = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(2);
  return `median ${s(sorted[Math.floor(sorted.length / 2)])} s (${s(sorted[0])}-${s(sorted.at(-1))} s)`;
};
console.log(
  `\n${id} solution, ${runs} runs: tests ${summary(tests)}; whole run with vitest start-up ${summary(whole)}`,
);
