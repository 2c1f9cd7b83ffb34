import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { courseRoot } from '../../engine/course/course.ts';

/** Runs one of the course's TypeScript commands as npm would (tsx), from the course root. */
export function runScript(script: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(courseRoot, script), ...args], {
    cwd: courseRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
}
