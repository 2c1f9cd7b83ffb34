import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { courseRoot } from '../course/course.ts';
import { PROJECT_LOCK_NAME, projectDependencies } from '../runtime/exercise-project.ts';

/**
 * `npx tsx engine/cli/update-project-lock.ts`: regenerates
 * engine/runtime/project-lock/package-lock.json, the package-lock.json every exercise's
 * standalone project (zip download, WebContainer) ships, from the dependency
 * set projectDependencies() pins, at the versions the course's own
 * package-lock.json resolves. May need the npm registry; run it after
 * changing a pinned version (tests/unit/runtime-exercise-project.test.ts says
 * when the lock no longer matches).
 */

const dir = mkdtempSync(join(tmpdir(), 'rj-project-lock-'));
try {
  const pkg = {
    name: PROJECT_LOCK_NAME,
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    devDependencies: projectDependencies(),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  // Start from the course's own lock, so the project gets the versions the course is tested with
  // (npm keeps every locked version that still fits and drops what the project does not need).
  writeFileSync(join(dir, 'package-lock.json'), readFileSync(join(courseRoot, 'package-lock.json')));
  execFileSync(
    'npm',
    ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--lockfile-version=3'],
    { cwd: dir, stdio: 'inherit' },
  );
  const lock = readFileSync(join(dir, 'package-lock.json'), 'utf8');
  const target = join(courseRoot, 'engine/runtime/project-lock/package-lock.json');
  writeFileSync(target, lock);
  console.log(`Wrote ${target} (${Object.keys(JSON.parse(lock).packages).length - 1} packages).`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
