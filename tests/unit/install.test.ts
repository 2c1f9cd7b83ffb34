import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';

/**
 * What a newcomer installs and reads before anything else: the Node versions the README promises
 * match what the packages ask for, a learner-only install (npm ci --omit=dev) holds every package
 * offline grading loads, and the licences are there and named.
 */

const read = (path: string) => readFileSync(join(courseRoot, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
};
const readme = read('README.md');

/** Installed packages whose declared Node versions leave out some version the course promises. */
function narrowerThanPromised(dev: boolean): string[] {
  return Object.entries(lock.packages).flatMap(([path, entry]) => {
    const wanted = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
    if (!path || Boolean(entry.dev) !== dev || !wanted) return [];
    return semver.subset(pkg.engines.node, wanted)
      ? []
      : [`${path.replace(/.*node_modules\//, '')} (${wanted})`];
  });
}

describe('the Node versions the course promises', () => {
  it('are the ones the README names', () => {
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.13.0 || >=24.0.0');
    expect(readme).toContain('Node.js 20 (20.19 or newer), 22 (22.13 or newer) or 24 and later');
  });

  it('satisfy every package of the learner-only install, so it prints no engine warning', () => {
    expect(narrowerThanPromised(false)).toEqual([]);
  });

  it('leave out only packages of the full install that the README names, with why the warning is harmless', () => {
    const narrower = narrowerThanPromised(true);
    for (const entry of narrower) expect(readme).toContain(entry.split(' ')[0]);
    expect(narrower.length === 0 || readme.includes('EBADENGINE')).toBe(true);
  });
});

/**
 * The packages a module graph loads at run time, following relative imports from `entries`. Type-only
 * imports load nothing. Node's own modules and the course's aliases are not packages.
 */
function packagesLoadedFrom(entries: string[]): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = source.matchAll(
      /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
    );
    for (const [, fromClause, dynamic] of specifiers) {
      const specifier = fromClause ?? dynamic ?? '';
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier.replace(/(\.ts)?$/, '.ts')));
      else if (!/^(node:|@grader\/|@exercise\/)/.test(specifier)) {
        packages.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
      }
    }
  };
  for (const entry of entries) visit(entry);
  return packages;
}

describe('the learner-only install (npm ci --omit=dev)', () => {
  const course = loadCourse();
  const entries = [
    'engine/cli/grade.ts',
    'engine/cli/hint.ts',
    'vitest.config.ts',
    'engine/grading/reporter.ts',
    'engine/grading/seal-assertions.setup.ts',
    'engine/grading/never-settles.setup.ts',
    ...course.flatMap((exercise) => [
      relative(courseRoot, exercise.graderFile),
      ...exercise.manifest.files.readOnly,
      ...exercise.manifest.files.editable.map((file) =>
        relative(courseRoot, join(exercise.solutionDir, file)),
      ),
    ]),
  ].map((path) => join(courseRoot, path));

  it('holds every package that offline grading loads, as a dependency', () => {
    const loaded = [...packagesLoadedFrom(entries)].filter((name) => name !== 'vitest/node');
    expect(loaded.filter((name) => pkg.dependencies[name] === undefined)).toEqual([]);
  });

  it('leaves out the site, the editor and the maintainers tools', () => {
    for (const heavy of [
      'astro',
      'monaco-editor',
      'lighthouse',
      'playwright-core',
      '@stryker-mutator/core',
    ]) {
      expect(pkg.devDependencies[heavy], heavy).toBeDefined();
      expect(pkg.dependencies[heavy], heavy).toBeUndefined();
    }
  });
});

describe('the licences', () => {
  it('code under MIT, lesson text under CC BY 4.0, both named in package.json and the README', () => {
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    expect(read('LICENSE')).toContain('see LICENSE-LESSONS');
    expect(read('LICENSE-LESSONS')).toContain(
      'Creative Commons Attribution 4.0 International Public License',
    );
    expect(read('LICENSE-LESSONS')).toContain('Section 8 -- Interpretation.');
    expect(pkg.license).toBe('MIT AND CC-BY-4.0');
    expect(readme).toContain('[MIT licence](LICENSE)');
    expect(readme).toContain('[CC BY 4.0](LICENSE-LESSONS)');
  });
});
