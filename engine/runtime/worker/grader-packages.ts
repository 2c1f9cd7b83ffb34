// First: the packages below (and graders, as in Node) expect some of Node's globals.
import './shims/node-globals.ts';
import type { GraderPackage } from '../../grading/in-page/grader-packages.ts';

/**
 * The packages graders import, bundled into the Worker as separate chunks and
 * loaded only when an exercise needs them (see vite-worker.ts for how
 * ioredis-mock is made to run here).
 */
const loaders: Record<GraderPackage, () => Promise<unknown>> = {
  'ioredis-mock': () => import('ioredis-mock'),
  fengari: () => import('fengari'),
  'fengari-interop': () => import('fengari-interop'),
  'sha.js': () => import('sha.js'),
  'pg-mem': () => import('pg-mem'),
  '@sinonjs/fake-timers': () => import('@sinonjs/fake-timers'),
  'pgsql-ast-parser': () => import('pgsql-ast-parser'),
  'fast-check': () => import('fast-check'),
};

export async function loadGraderPackages(names: readonly GraderPackage[]): Promise<Record<string, unknown>> {
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await loaders[name]()] as const)),
  );
}
