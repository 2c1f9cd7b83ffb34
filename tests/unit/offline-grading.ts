import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { courseRoot } from '../../engine/course/course.ts';
import type { GradingReporterOptions } from '../../engine/grading/reporter.ts';

/**
 * Offline grading (vitest in Node, as `npm run grade` runs it) of a load balancer given as source,
 * in a real vitest process, for tests of what a learner's terminal shows. The config lives inside
 * the course (in the ignored .grade/) so that it resolves the course's packages.
 */
export function offlineGrader(name: string) {
  mkdirSync(join(courseRoot, '.grade'), { recursive: true });
  const dir = mkdtempSync(join(courseRoot, '.grade', `${name}-`));
  return {
    dir,
    grade(
      learnerCode: string,
      reporter: Omit<GradingReporterOptions, 'onReports'>,
      env: Record<string, string> = {},
    ) {
      const learnerFile = join(dir, 'load-balancer.ts');
      writeFileSync(learnerFile, learnerCode);
      const config = join(dir, 'vitest.config.ts');
      writeFileSync(
        config,
        `import { defineConfig } from 'vitest/config';
import { loadExercise } from '${courseRoot}/engine/course/course.ts';
import { graderProject } from '${courseRoot}/engine/grading/projects.ts';
const exercise = loadExercise('load-balancer');
export default defineConfig({
  test: {
    reporters: [['${courseRoot}/engine/grading/reporter.ts', ${JSON.stringify(reporter)}]],
    projects: [graderProject(exercise, { 'load-balancer.ts': { path: '${learnerFile}' } }, { name: 'load-balancer', seed: 1 })],
  },
});
`,
      );
      const started = performance.now();
      const run = spawnSync('npx', ['vitest', 'run', '--root', courseRoot, '--config', config], {
        cwd: courseRoot,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, NO_COLOR: '1', ...env },
      });
      return {
        status: run.status,
        output: `${run.stdout}${run.stderr}`,
        wallMs: performance.now() - started,
      };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
