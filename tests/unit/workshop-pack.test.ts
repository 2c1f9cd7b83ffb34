import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildWorkshopPack,
  learnerPackages,
  packFolder,
  withoutDevDependencies,
  withTarballAddresses,
} from '../../engine/cli/workshop-pack.ts';
import { courseRoot } from '../../engine/course/course.ts';

/**
 * The workshop pack: built here (the one step that needs the registry), then installed and used in a
 * fresh folder with the registry pointed at a closed port, as in a room with no network.
 */

const lock = JSON.parse(readFileSync(join(courseRoot, 'package-lock.json'), 'utf8'));

describe('what the pack carries for npm', () => {
  it('every learner package, with the native builds of each laptop a room brings', () => {
    const packages = learnerPackages(lock);
    for (const name of ['tsx', 'vitest', 'pg-mem', 'ioredis-mock']) {
      expect(
        packages.some((spec) => spec.startsWith(`${name}@`)),
        name,
      ).toBe(true);
    }
    for (const platform of [
      'darwin-arm64',
      'darwin-x64',
      'win32-x64',
      'win32-arm64',
      'linux-x64',
      'linux-arm64',
    ]) {
      expect(
        packages.some((spec) => spec.startsWith(`@esbuild/${platform}@`)),
        platform,
      ).toBe(true);
    }
    expect(packages.filter((spec) => /android|freebsd|musl|^astro@|^monaco-editor@/.test(spec))).toEqual([]);
  });

  it("the lockfile without the maintainers' tools, and with the tarball address npm would otherwise look up", () => {
    const learnerLock = withTarballAddresses(withoutDevDependencies(lock));
    expect(learnerLock.packages['node_modules/astro']).toBeUndefined();
    expect(learnerLock.packages['']?.devDependencies).toBeUndefined();
    expect(learnerLock.packages['node_modules/@vitest/runner']?.resolved).toBe(
      `https://registry.npmjs.org/@vitest/runner/-/runner-${lock.packages['node_modules/@vitest/runner'].version}.tgz`,
    );
    expect(learnerLock.packages['exercises/cache-aside']?.resolved).toBeUndefined();
  });
});

describe('npm run workshop-pack', () => {
  const work = mkdtempSync(join(tmpdir(), 'rj-pack-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('refuses without a built site, and says what to run', () => {
    expect(() => buildWorkshopPack({ out: join(work, 'none.tar.gz'), site: join(work, 'no-site') })).toThrow(
      'run npm run build first',
    );
  });

  it('unpacks into a folder where npm ci works with no registry and the graders grade', () => {
    const site = join(work, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>Request Journey</title>');
    const archive = join(work, 'usb', 'pack.tar.gz');
    buildWorkshopPack({ out: archive, site });

    const room = join(work, 'room');
    mkdirSync(room);
    execFileSync('tar', ['-xzf', archive, '-C', room]);
    const course = join(room, packFolder);
    expect(existsSync(join(course, 'dist', 'index.html'))).toBe(true);
    // The starter as committed, whatever the working copy holds.
    const starter = 'exercises/cache-aside/product-cache.ts';
    expect(readFileSync(join(course, starter), 'utf8')).toBe(
      execFileSync('git', ['show', `HEAD:${starter}`], { cwd: courseRoot, encoding: 'utf8' }),
    );

    // No npm settings from a parent npm run; a registry nobody answers, so any download fails.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
    const offline = { ...env, npm_config_registry: 'http://127.0.0.1:9', npm_config_audit: 'false' };
    const npm = (args: string[]) =>
      spawnSync('npm', args, { cwd: course, env: offline, encoding: 'utf8', timeout: 240_000 });

    const install = npm(['ci', '--offline', '--omit=dev', '--cache', join(course, 'npm-cache')]);
    expect(install.status, install.stderr).toBe(0);

    copyFileSync(join(courseRoot, 'solutions/cache-aside/product-cache.ts'), join(course, starter));
    const grade = npm(['run', 'grade', 'cache-aside']);
    expect(grade.stdout).toMatch(/cache-aside\s+\S+\s+5\/5/);
    expect(grade.status, grade.stdout + grade.stderr).toBe(0);
  }, 600_000);
});
