import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { courseRoot, loadCourse } from '../../engine/course/course.ts';
import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import {
  ENGINE_FILES,
  exerciseProject,
  GRADE_SCRIPT,
  projectDependencies,
} from '../../engine/runtime/exercise-project.ts';
import { projectZip, zipFolderName } from '../../engine/runtime/zip.ts';

const rootPackage = JSON.parse(readFileSync(join(courseRoot, 'package.json'), 'utf8'));
const rootLock = JSON.parse(readFileSync(join(courseRoot, 'package-lock.json'), 'utf8'));

describe.each(loadCourse().map((exercise) => [exercise.manifest.id, exercise] as const))(
  'the standalone project of %s',
  (id, exercise) => {
    const { manifest } = exercise;
    const files = Object.fromEntries(
      manifest.files.editable.map((file) => [file, `// my work on ${file}\n`]),
    );
    const project = exerciseProject({ manifest, files }, bundledCourseFiles);

    it('holds the learner code, the manifest, the grader with its read-only files, and the engine', async () => {
      const tree = await project;
      const expected = [
        ...ENGINE_FILES,
        manifest.files.grader,
        ...manifest.files.readOnly,
        `exercises/${id}/exercise.json`,
        ...manifest.files.editable.map((file) => `exercises/${id}/${file}`),
        'package.json',
        'package-lock.json',
        'grade.mjs',
        'README.md',
      ];
      expect(Object.keys(tree)).toEqual(expect.arrayContaining(expected));
      expect(tree[`exercises/${id}/${manifest.files.editable[0]}`]).toBe(
        `// my work on ${manifest.files.editable[0]}\n`,
      );
      expect(JSON.parse(tree[`exercises/${id}/exercise.json`] ?? '')).toEqual(manifest);
      for (const path of ENGINE_FILES) {
        expect(tree[path], path).toBe(readFileSync(join(courseRoot, path), 'utf8'));
      }
    });

    it('never ships wrong implementations, solutions, or the course tests', async () => {
      const paths = Object.keys(await project);
      expect(paths.filter((path) => /\/wrong\/|^solutions\/|^tests\/(unit|e2e|bench)\//.test(path))).toEqual(
        [],
      );
    });

    it('grades with `npm test` = vitest behind grade.mjs, with every package pinned to the course version', async () => {
      const tree = await project;
      const pkg = JSON.parse(tree['package.json'] ?? '');
      expect(pkg.scripts).toEqual({
        test: 'node grade.mjs',
        'test:watch': 'node grade.mjs --watch',
        hint: 'node grade.mjs --hint',
      });
      expect(tree['grade.mjs']).toBe(GRADE_SCRIPT);
      for (const [name, version] of Object.entries(pkg.devDependencies)) {
        expect(version, name).toBe(rootPackage.dependencies[name] ?? rootPackage.devDependencies[name]);
      }
    });

    it('ships a package-lock.json that pins exactly its dependencies, at the versions the course is tested with', async () => {
      const tree = await project;
      const pkg = JSON.parse(tree['package.json'] ?? '');
      const lock = JSON.parse(tree['package-lock.json'] ?? '');
      expect(lock).toMatchObject({ name: pkg.name, lockfileVersion: 3 });
      expect(lock.packages['']).toMatchObject({ name: pkg.name, devDependencies: projectDependencies() });
      // Every locked package is the very one the course's own install resolves (same version, same tarball).
      const differs = Object.entries(lock.packages as Record<string, { version: string; integrity?: string }>)
        .filter(([path]) => path !== '')
        .filter(([path, entry]) => {
          const course = rootLock.packages[path];
          return course?.version !== entry.version || course?.integrity !== entry.integrity;
        })
        .map(([path]) => path);
      expect(differs, 'run npx tsx engine/cli/update-project-lock.ts').toEqual([]);
      for (const [name, version] of Object.entries(projectDependencies())) {
        expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
      }
    });

    it('resolves every import inside the project or to an installed package', async () => {
      const tree = await project;
      const packages = Object.keys(JSON.parse(tree['package.json'] ?? '').devDependencies);
      const unresolved: string[] = [];
      for (const [path, source] of Object.entries(tree).filter(([p]) => p.endsWith('.ts'))) {
        const imports = source.matchAll(
          /(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
        );
        for (const [, typeOnly, specifier = ''] of imports) {
          if (typeOnly) continue; // erased before anything runs
          if (specifier.startsWith('.')) {
            const base = join(path, '..', specifier);
            if (![base, `${base}.ts`].some((candidate) => candidate in tree))
              unresolved.push(`${path}: ${specifier}`);
          } else if (specifier.startsWith('@exercise/') || specifier.startsWith('@grader/')) {
            const base = specifier.replace('@exercise/', 'exercises/').replace('@grader/', 'tests/');
            if (!(`${base}.ts` in tree || base in tree)) unresolved.push(`${path}: ${specifier}`);
          } else {
            const name = specifier.startsWith('@')
              ? specifier.split('/').slice(0, 2).join('/')
              : specifier.split('/')[0];
            const known = packages.includes(name ?? '') || packages.includes(`@types/${name}`);
            if (!known && !builtinModules.includes(specifier.replace(/^node:/, ''))) {
              unresolved.push(`${path}: ${specifier}`);
            }
          }
        }
      }
      expect(unresolved).toEqual([]);
    });

    it('zips into one folder that unzips to the same files', async () => {
      const tree = await project;
      const folder = zipFolderName(id);
      const unzipped = unzipSync(projectZip(tree, folder));
      expect(
        Object.fromEntries(Object.entries(unzipped).map(([path, bytes]) => [path, strFromU8(bytes)])),
      ).toEqual(Object.fromEntries(Object.entries(tree).map(([path, text]) => [`${folder}/${path}`, text])));
    });
  },
);
